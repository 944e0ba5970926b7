"""HTTP/1.1 on a bare ``asyncio.Protocol`` with httptools' parser.

Why not Starlette: a StreamingResponse costs 13-17 us per token here and
cannot hold 100k tokens/s on a core (docs/behaviours.md#mock-server-cost); the mock is never the
bottleneck. Requests on one connection are answered strictly in order.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs

import httptools

from .wire import ApiError, http_chunk

if TYPE_CHECKING:
    from ..ledger import LedgerRecord


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    keep_alive: bool
    too_large: bool = False
    arrival_ns: int = 0  # monotonic: when the parser met its first byte


class Responder(Protocol):
    """What a connection tells the response in flight when the client goes away."""

    def on_disconnect(self, now_ns: int) -> None: ...


@dataclass
class _Incoming:
    arrival_ns: int = 0
    url: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    body: list[bytes] = field(default_factory=list)
    size: int = 0
    too_large: bool = False


Dispatch = Callable[["HttpConnection", Request], None]


@dataclass(slots=True)
class ConnectionCount:
    """Client connections of one server: open now, and opened since it started.

    Counted per connection (made, lost), never per request or token.
    """

    open: int = 0
    opened: int = 0


RECENT_RECORDS = 8

_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\nserver: mock_llm" for s in HTTPStatus}


class HttpConnection(asyncio.Protocol):
    def __init__(
        self, dispatch: Dispatch, max_body_bytes: int, connections: ConnectionCount | None = None
    ) -> None:
        self._dispatch = dispatch
        self._connections = connections
        self._max_body = max_body_bytes
        self._parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self._incoming = _Incoming()
        self._pending: deque[Request] = deque()
        self._busy = False
        self._keep_alive = True
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.responder: Responder | None = None
        # Recent records of this connection, stamped with closed_ns when it
        # closes. Bounded: a keep-alive connection serves requests for hours.
        self.records: deque[LedgerRecord] = deque(maxlen=RECENT_RECORDS)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        if self._connections is not None:
            self._connections.open += 1
            self._connections.opened += 1
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # One write per token must leave at once, not wait for Nagle.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self._parser is None:
            return  # closed
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ApiError(400, "Protocol upgrades are not supported", code="bad_request"))
        except httptools.HttpParserError as exc:
            self._fail(ApiError(400, f"Malformed HTTP request: {exc}", code="bad_request"))

    def eof_received(self) -> bool:
        return False  # a half-closed client is a gone client: close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        now = time.monotonic_ns()
        if self._connections is not None and not self.closed:
            self._connections.open -= 1
        self.closed = True
        for record in self.records:
            if record.closed_ns is None:
                record.closed_ns = now
        self.records.clear()
        responder, self.responder = self.responder, None
        if responder is not None:
            responder.on_disconnect(now)
        # The parser holds our bound methods and the transport holds us: two
        # cycles per connection, left for the cyclic GC (a full pass over the
        # ledger) unless broken here. Clients that connect per request make
        # thousands a second.
        self._parser = None
        self._pending.clear()
        self.transport = None

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._incoming = _Incoming(arrival_ns=time.monotonic_ns())

    def on_url(self, url: bytes) -> None:
        self._incoming.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._incoming.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        length = self._incoming.headers.get("content-length", "0")
        if length.isdigit() and int(length) > self._max_body:
            self._incoming.too_large = True

    def on_body(self, body: bytes) -> None:
        inc = self._incoming
        inc.size += len(body)
        if inc.size > self._max_body:
            inc.too_large = True
            inc.body.clear()
        elif not inc.too_large:
            inc.body.append(body)

    def on_message_complete(self) -> None:
        inc = self._incoming
        parser = self._parser
        assert parser is not None  # only feed_data calls back, and only while open
        if parser.should_upgrade():
            # httptools raises HttpParserUpgrade right after this callback; answer once, there.
            return
        url = httptools.parse_url(inc.url)
        query = parse_qs(url.query.decode("latin-1")) if url.query else {}
        self._pending.append(
            Request(
                method=parser.get_method().decode("latin-1"),
                path=url.path.decode("latin-1"),
                query=query,
                headers=inc.headers,
                body=b"".join(inc.body),
                keep_alive=parser.should_keep_alive(),
                too_large=inc.too_large,
                arrival_ns=inc.arrival_ns,
            )
        )
        self._next()

    # responses

    def _next(self) -> None:
        if self._busy or not self._pending or self.closed:
            return
        request = self._pending.popleft()
        self._busy = True
        self._keep_alive = request.keep_alive
        self._dispatch(self, request)

    def _head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        lines = [_STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\nserver: mock_llm"]
        lines.extend([f"{k}: {v}" for k, v in headers])
        if not self._keep_alive:
            lines.append("connection: close")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1")

    def respond(
        self,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
    ) -> None:
        """A complete response with Content-Length; then the next request."""
        if self.transport is None or self.closed:
            return
        all_headers = [("content-type", content_type), ("content-length", str(len(body)))]
        all_headers.extend(headers or ())
        self.transport.write(self._head(status, all_headers) + body)
        self.finish()

    def respond_error(self, error: ApiError, headers: list[tuple[str, str]] | None = None) -> None:
        self.respond(error.status, error.body(), [*error.headers, *(headers or [])])

    def start_stream(self, headers: list[tuple[str, str]], first: bytes = b"") -> None:
        """Status line, SSE headers and (optionally) a first event in one write."""
        if self.transport is None:
            return
        all_headers = [
            ("content-type", "text/event-stream; charset=utf-8"),
            ("cache-control", "no-cache"),
            ("transfer-encoding", "chunked"),
            *headers,
        ]
        self.transport.write(self._head(200, all_headers) + (http_chunk(first) if first else b""))

    def write_event(self, payload: bytes) -> None:
        if self.transport is not None:
            self.transport.write(http_chunk(payload))

    def end_stream(self, payload: bytes = b"") -> None:
        if self.transport is not None:
            self.transport.write((http_chunk(payload) if payload else b"") + b"0\r\n\r\n")
        self.finish()

    def finish(self) -> None:
        """The current response is complete: serve the next one or close."""
        self.responder = None
        self._busy = False
        if not self._keep_alive and self.transport is not None:
            self.transport.close()
            return
        self._next()

    def drop(self, reset: bool) -> None:
        """Cut the connection mid-response: a FIN, or an RST when ``reset``."""
        if self.transport is None:
            return
        self._keep_alive = False
        self._pending.clear()
        if reset:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
        else:
            self.transport.close()

    def _fail(self, error: ApiError) -> None:
        """Unparseable input: answer 400 unless a response is in flight, then close."""
        self._keep_alive = False
        self._pending.clear()
        if self._busy:
            if self.transport is not None:
                self.transport.close()
            return
        if self.transport is not None and not self.closed:
            self.transport.write(
                self._head(
                    error.status,
                    [
                        ("content-type", "application/json"),
                        ("content-length", str(len(error.body()))),
                    ],
                )
                + error.body()
            )
            self.transport.close()
