"""A lean HTTP/1.1 streaming client: stamps every read the moment it arrives.

``asyncio.Protocol`` plus httptools' response parser (the same C parser the
mock and uvicorn use): ``data_received`` takes ``perf_counter_ns()`` before
anything is parsed, and each de-chunked body piece is recorded with the
arrival time of the socket read that carried it. SSE parsing happens later.

Why not httpx: see ``results/README.md`` (client comparison); per stream it
costs more CPU per event, and at hundreds of streams that cost shows up as
client-side latency that would be blamed on the server.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

from .records import RequestRecord

StopRule = Callable[[RequestRecord], bool]
"""Called after each body read; True closes the connection (a user who leaves)."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected an http://host:port/path URL, got {url!r}")
        return cls(parts.hostname, parts.port or 80, parts.path or "/")


class _Response(asyncio.Protocol):
    def __init__(self, record: RequestRecord, stop: StopRule | None, clock: Callable[[], int]):
        self.record = record
        self._stop = stop
        self._clock = clock
        self._now = 0
        self._parser = httptools.HttpResponseParser(self)
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.complete = False
        self.headers: dict[str, str] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._now = self._clock()  # before parsing: the arrival time of these bytes
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.finish(f"malformed response: {exc}")
            return
        if (
            self._stop is not None
            and not self.complete
            and self.record.reads
            and self._stop(self.record)
        ):
            self.finish(None)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.record.headers_ns = self._now
        self.record.response_headers = dict(self.headers)
        self.record.status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.record.add_read(self._now, body)

    def on_message_complete(self) -> None:
        self.complete = True
        self.record.complete = True
        self.finish(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.complete:
            self.finish(f"connection closed before the response ended ({exc or 'EOF'})")

    def finish(self, error: str | None) -> None:
        """Stamp the close time, close the socket, wake the waiter (once)."""
        if self.done.done():
            return
        self.record.closed_ns = self._clock()  # before close(): when the user left
        if error is not None and self.record.error is None:
            self.record.error = error
        if self.transport is not None:
            self.transport.close()
        self.done.set_result(None)


_DEFAULT_HEADERS = (
    ("content-type", "application/json"),
    ("accept", "text/event-stream"),
    ("accept-encoding", "identity"),
    ("connection", "close"),
)


def request_head(
    target: Target, content_length: int, request_id: str, headers: Mapping[str, str] | None
) -> bytes:
    """The request line and headers of one streamed POST, blank line included."""
    # A caller's header replaces our default of the same name rather than
    # following it: servers read only the first of a repeated header (nginx
    # 1.22 takes the first Accept-Encoding, so a gzip request needs this).
    overridden = {k.lower() for k in headers or {}}
    head = [
        f"POST {target.path} HTTP/1.1",
        f"host: {target.host}:{target.port}",
        *(f"{k}: {v}" for k, v in _DEFAULT_HEADERS if k not in overridden),
        f"content-length: {content_length}",
        f"x-request-id: {request_id}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")


async def stream_request(
    url: str,
    body: Mapping[str, object] | bytes,
    *,
    request_id: str,
    scenario: str = "",
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
    stop: StopRule | None = None,
    intended_ns: int | None = None,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> RequestRecord:
    """POST ``body`` to ``url``, record every read; never raises for HTTP/transport errors.

    One connection per request (``connection: close``) so a stream's timings
    never wait behind another's, and a leaving user really closes a socket.
    ``headers`` are added to ours; one named like a default (``accept-encoding:
    identity``, ``accept``, ``content-type``, ``connection``) replaces it.
    """
    target = Target.parse(url)
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    request_bytes = request_head(target, len(payload), request_id, headers) + payload
    loop = asyncio.get_running_loop()
    record = RequestRecord(
        request_id=request_id,
        scenario=scenario,
        target=url,
        intended_ns=intended_ns,
        sent_ns=clock(),
    )
    protocol: _Response | None = None
    try:
        async with asyncio.timeout(timeout_s):
            transport, protocol = await loop.create_connection(
                lambda: _Response(record, stop, clock), target.host, target.port
            )
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            record.sent_ns = clock()
            transport.write(request_bytes)
            await protocol.done
    except TimeoutError:
        record.error = f"timed out after {timeout_s} s"
    except OSError as exc:
        record.error = f"connection failed: {exc}"
    finally:
        if protocol is not None and not protocol.done.done():
            protocol.finish(record.error)
        if record.closed_ns is None:
            record.closed_ns = clock()
    return record
