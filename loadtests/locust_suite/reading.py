"""Read a FastHttpUser streamed body read by read, stamping each read as it arrives.

FastHttpUser's ``iter_lines()`` waits for 1024 bytes and ``iter_content()`` for a full
chunk size (first event 476 ms late, docs/behaviours.md#locust): neither can time events. Here the
body is read the way the measurement core's own client does it: one ``recv()`` per
socket read, ``perf_counter_ns()`` stamped when it returns, before anything is parsed.
geventhttpclient's response parser still does the HTTP framing (chunked or
close-delimited): ``feed()`` moves the de-framed body into its body buffer.

This leans on geventhttpclient's response internals (``_sock``, ``_body_buffer``,
``feed``, ``message_complete``; geventhttpclient 2.3, Locust 2.47). The Locust
integration tests fail if they change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
from geventhttpclient.response import HTTPParseError

from ..client.records import Clock, RequestRecord, default_clock

__all__ = ["READ_SIZE", "STREAM_TIMEOUT_S", "StopRule", "read_body", "release"]

#: Bytes asked per ``recv()``; a read returns whatever has arrived, up to this. CPython
#: allocates this much per call before shrinking to what came: 16 KiB holds a proxy's
#: buffered burst (nginx releases 4-8 KB at a time) without paying for 64 KiB per event.
READ_SIZE = 16_384
#: Longest a body may take to arrive; past it the stream fails as ``stream timeout``.
STREAM_TIMEOUT_S = 300.0


class _StreamTimeoutError(Exception):
    """Raised by the stream's one timer into whatever read is waiting."""


StopRule = Callable[[RequestRecord], bool]
"""Called after each read; ``True`` stops reading (a user who leaves)."""


def _take(buffer: bytearray) -> bytes:
    data = bytes(buffer)
    del buffer[:]
    return data


def read_body(
    response: Any,
    record: RequestRecord,
    headers_ns: int,
    *,
    stop: StopRule | None = None,
    clock: Clock = default_clock,
    timeout_s: float = STREAM_TIMEOUT_S,
) -> None:
    """Append every body read of ``response`` (a geventhttpclient response) to ``record``.

    Body bytes that came with the headers are stamped ``headers_ns``. Returns at the end
    of the body, when ``stop`` says so, after ``timeout_s``, or on a transport error
    (``record.error``); the caller then calls :func:`release`. ``record.closed_ns`` is
    set either way.

    One timer bounds the whole body instead of the socket's per-read timeout: gevent
    arms and cancels a timer on every ``recv()`` of a socket with a timeout, measured at
    ~6 us of the ~60 us of CPU per event here (tests/bench/locust_user_cost.py, A/B).
    """
    sock = response._sock
    if sock is None:
        _read(response, record, headers_ns, stop, clock)
        return
    socket_timeout = sock.gettimeout()
    sock.settimeout(None)
    try:
        with gevent.Timeout(timeout_s, _StreamTimeoutError):
            _read(response, record, headers_ns, stop, clock)
    except _StreamTimeoutError:
        record.error = f"stream timeout after {timeout_s:g} s"
    finally:
        # The socket may already be back in the pool (a complete body releases itself).
        sock.settimeout(socket_timeout)


def _read(
    response: Any,
    record: RequestRecord,
    headers_ns: int,
    stop: StopRule | None,
    clock: Clock,
) -> None:
    buffer: bytearray = response._body_buffer
    try:
        if buffer:
            record.add_read(headers_ns, _take(buffer))
            if stop is not None and stop(record):
                return
        while not response.message_complete:
            sock = response._sock
            if sock is None:
                record.error = "connection closed before the end of the body"
                return
            data = _recv(sock)
            now = clock()
            # An empty read is EOF: it completes a close-delimited (HTTP/1.0) body.
            response.feed(data)
            if buffer:
                record.add_read(now, _take(buffer))
                if stop is not None and stop(record):
                    return
            if not data:
                if not response.message_complete:
                    record.error = "connection closed before the end of the body"
                return
    except (OSError, HTTPParseError) as exc:
        record.error = f"{type(exc).__name__}: {exc}"
    finally:
        record.closed_ns = clock()
        # A body without an end marker (text, NDJSON) ends with the HTTP message.
        record.complete = bool(response.message_complete)


def _recv(sock: Any) -> bytes:
    """Wait until readable, then one ``recv()``.

    gevent's ``recv()`` tries first and waits on ``EAGAIN``; a paced stream is almost
    never readable when asked, so that costs a failed syscall and an exception per event
    (about 5 % of the CPU per event, A/B with tests/bench/locust_user_cost.py). Uses
    gevent's socket internals (``_sock``, ``_wait``, ``_read_event``; gevent 26).
    """
    raw = sock._sock
    while True:
        sock._wait(sock._read_event)
        try:
            data: bytes = raw.recv(READ_SIZE)
        except BlockingIOError:
            continue
        return data


def release(response: Any) -> None:
    """Give the connection back: to the pool after a complete body, else close it.

    geventhttpclient's ``release()`` closes the socket when the message is incomplete
    (``should_close()``), so a user who leaves mid-stream or hit an error never hands a
    half-read connection to its next request. A complete body already released itself.
    """
    if response is not None:
        response.release()
