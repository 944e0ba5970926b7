"""End users who leave early, three ways, each returning when they left (perf_counter_ns).

1. ``close_after``: read k content events, then close the socket.
2. ``stop_reading``: read k events, stop reading (tiny receive buffer) so the
   server ends up blocked in ``send()``, wait, then close. This is where the
   published recipe leaks (docs/behaviours.md#client-disconnect).
3. ``burst``: many users read k events each, then all close together.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import time
from collections.abc import Mapping

import httptools

from .endpoints import Endpoint
from .marker import Shaping
from .records import RequestRecord
from .response_shapes import ResponseShape, StreamReader
from .stream_client import Target, request_head, stream_request


class ContentCounter:
    """Counts content events of one stream incrementally (a stop rule runs per read).

    Re-parsing the whole record on every read is quadratic; at 100 streams it
    saturated the client and made it leave late. Works for every response shape: the
    reader is made at the first read, when the response's Content-Type is known.
    """

    def __init__(self, shape: ResponseShape) -> None:
        self._shape = shape
        self._reader: StreamReader | None = None
        self._reads_seen = 0
        self.count = 0

    def __call__(self, record: RequestRecord) -> int:
        if self._reader is None:
            self._reader = self._shape.reader(record.content_type)
        new = record.reads[self._reads_seen :]
        self._reads_seen = len(record.reads)
        for arrival_ns, data in new:
            self._reader.feed(arrival_ns, data)
        self.count = self._reader.content_events
        return self.count


async def close_after(
    endpoint: Endpoint,
    k: int,
    request_id: str,
    headers: Mapping[str, str],
    timeout_s: float = 30.0,
    *,
    shaping: Shaping | None = None,
    max_tokens: int | None = None,
) -> RequestRecord:
    """Close after ``k`` content events; ``record.closed_ns`` is when the user left.

    ``shaping`` and ``max_tokens`` go into the body (the marker; the OpenAI presets).
    """
    counter = ContentCounter(endpoint.response)
    return await stream_request(
        endpoint.url,
        endpoint.body(request_id=request_id, shaping=shaping, max_tokens=max_tokens),
        request_id=request_id,
        scenario="disconnect",
        headers=endpoint.headers(headers),
        timeout_s=timeout_s,
        stop=lambda rec: counter(rec) >= k,
    )


async def burst(
    endpoint: Endpoint,
    *,
    users: int,
    k: int,
    tag: str,
    headers: Mapping[str, str],
    timeout_s: float = 30.0,
    shaping: Shaping | None = None,
    max_tokens: int | None = None,
) -> list[RequestRecord]:
    """``users`` streams; once all have ``k`` events (or a 10 s cap), all close together.

    Each stream closes on its next read after the release, so "together" means
    within one inter-token gap of each other.
    """
    release = asyncio.Event()
    ready: set[str] = set()
    counters: dict[str, ContentCounter] = {}

    def stop(rec: RequestRecord) -> bool:
        counter = counters.setdefault(rec.request_id, ContentCounter(endpoint.response))
        if counter(rec) >= k:
            ready.add(rec.request_id)
            if len(ready) >= users:
                release.set()
        return release.is_set()

    async def release_anyway() -> None:
        await asyncio.sleep(10)
        release.set()

    guard = asyncio.create_task(release_anyway())
    try:
        return list(
            await asyncio.gather(
                *(
                    stream_request(
                        endpoint.url,
                        endpoint.body(
                            request_id=f"{tag}-{i}", shaping=shaping, max_tokens=max_tokens
                        ),
                        request_id=f"{tag}-{i}",
                        scenario="disconnect",
                        headers=endpoint.headers(headers),
                        timeout_s=timeout_s,
                        stop=stop,
                    )
                    for i in range(users)
                )
            )
        )
    finally:
        guard.cancel()


class _BodyCounter:
    """httptools callbacks: the response head and the de-chunked body into a reader."""

    def __init__(self, shape: ResponseShape) -> None:
        self._shape = shape
        self._headers: dict[str, str] = {}
        self.reader: StreamReader | None = None
        self.ended = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.reader = self._shape.reader(self._headers.get("content-type"))

    def on_body(self, body: bytes) -> None:
        if self.reader is not None:
            self.reader.feed(time.perf_counter_ns(), body)

    def on_message_complete(self) -> None:
        self.ended = True

    @property
    def count(self) -> int:
        return self.reader.content_events if self.reader is not None else 0


def _stop_reading_blocking(
    *,
    endpoint: Endpoint,
    k: int,
    request_id: str,
    headers: Mapping[str, str],
    pause_s: float,
    shaping: Shaping | None,
    max_tokens: int | None,
) -> tuple[int, int]:
    """Blocking socket client; returns (content events read, left_ns). Runs in a thread.

    The body is parsed as it comes (HTTP framing by httptools, content by the endpoint's
    response shape), so ``k`` means content events in every shape.
    """
    target = Target.parse(endpoint.url)
    body = endpoint.body(request_id=request_id, shaping=shaping, max_tokens=max_tokens)
    head = request_head(target, len(body), request_id, endpoint.headers(headers))
    counter = _BodyCounter(endpoint.response)
    parser = httptools.HttpResponseParser(counter)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Small receive window before connect: the server's sends back up quickly.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    try:
        sock.connect((target.host, target.port))
        sock.sendall(head + body)
        while counter.count < k and not counter.ended:
            data = sock.recv(4096)
            if not data:
                break
            try:
                parser.feed_data(data)
            except httptools.HttpParserError:
                break
        time.sleep(pause_s)  # not reading: the server fills its buffers, then blocks in send
    finally:
        left_ns = time.perf_counter_ns()  # before close: the peer may react within microseconds
        sock.close()
    return counter.count, left_ns


async def stop_reading(
    endpoint: Endpoint,
    k: int,
    request_id: str,
    headers: Mapping[str, str],
    pause_s: float = 1.5,
    *,
    shaping: Shaping | None = None,
    max_tokens: int | None = None,
) -> RequestRecord:
    loop = asyncio.get_running_loop()
    sent = time.perf_counter_ns()
    events, left = await loop.run_in_executor(
        None,
        functools.partial(
            _stop_reading_blocking,
            endpoint=endpoint,
            k=k,
            request_id=request_id,
            headers=headers,
            pause_s=pause_s,
            shaping=shaping,
            max_tokens=max_tokens,
        ),
    )
    record = RequestRecord(
        request_id=request_id,
        scenario="disconnect",
        target=endpoint.url,
        sent_ns=sent,
        closed_ns=left,
    )
    if events < k:
        record.error = f"stream ended after {events} events, before the user could leave"
    return record
