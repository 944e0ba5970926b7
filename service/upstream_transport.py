"""A lean HTTP/1.1 transport under the SDK's httpx2 client: ``asyncio.Protocol`` + httptools.

Why: once chunks are parsed by us (:mod:`service.upstream_stream`), the SDK's
HTTP stack is the largest cost left per token. For every chunk httpcore2 runs
h11 (pure Python) and opens an anyio ``fail_after`` cancel scope per socket
read, under five async-generator layers; here a chunk is one ``data_received``
callback into httptools (C). ``--upstream-http httpx2`` runs reference_fast on
the SDK's stack instead, to compare. (The SDK's aiohttp client was not taken:
it also reports a refused connection as ``APITimeoutError``.)

Everything above the transport stays the SDK's: auth headers, retries (on the
httpx2 exceptions raised here, as httpcore2 would raise them), HTTP status
errors, and timeouts, which arrive in ``request.extensions["timeout"]`` and are
enforced here: connect, and read per wait for bytes (httpcore2: per socket
read). Write and pool timeouts do not apply: a request is one buffered write,
and connections are not capped (one per stream in flight).

Deliberately small: HTTP/1.1 over TCP or TLS, one request at a time per
connection, idle connections reused newest first up to ``max_idle`` and
``keepalive_expiry_s``; no proxies (:func:`service.upstream.fast_client` keeps
the SDK's own stack when the environment configures one), no HTTP/2, no 1xx
responses, no HEAD.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import httptools
import httpx2

# Unconsumed response body beyond which the socket is not read (TCP backpressure
# to the upstream, as when httpcore2 is not asked for the next read).
READ_BUFFER_LIMIT = 256 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}

PoolKey = tuple[str, str, int]


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


def _close_delimited(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    """No Content-Length and not chunked: the body ends when the server closes (RFC 9112 6.3)."""
    if status < 200 or status in (204, 304):
        return False
    for name, value in headers:
        lower = name.lower()
        if lower == b"content-length" or (
            lower == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            return False
    return True


class _Connection(asyncio.Protocol):
    """One upstream connection; the response is parsed as its bytes arrive."""

    def __init__(self, key: PoolKey) -> None:
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.in_use = False
        self.idle_since = 0.0
        self._waiter: asyncio.Future[bool] | None = None
        self._start_response()

    def _start_response(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_complete = False
        self.complete = False
        self.keep_alive = False
        self.error: httpx2.TransportError | None = None
        self._body: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._until_eof = False

    # the request side

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self._start_response()
        self.in_use = True
        self.transport.write(data)

    async def wait(self, read_timeout_s: float | None) -> None:
        """Until the parser has news (or the connection is lost); ReadTimeout after the timeout.

        A timer per wait, not ``asyncio.timeout()``: no cancellation to undo.
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiter = waiter
        timer = None if read_timeout_s is None else loop.call_later(read_timeout_s, _expire, waiter)
        try:
            woken = await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        if not woken:
            raise httpx2.ReadTimeout("timed out waiting for the upstream")

    def take(self) -> bytes | None:
        """All body bytes received so far, in one piece (fewer steps for the reader)."""
        body = self._body
        if not body:
            return None
        data = body.popleft() if len(body) == 1 else b"".join(body)
        body.clear()
        self._buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def read_head(self, read_timeout_s: float | None) -> None:
        while not self.headers_complete:
            if self.error is not None:
                raise self.error
            await self.wait(read_timeout_s)

    def reusable(self) -> bool:
        return (
            self.complete
            and self.keep_alive
            and self.error is None
            and not self.lost
            and self.transport is not None
            and not self.transport.is_closing()
        )

    def close(self) -> None:
        self.in_use = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Like httpcore2's ``network_stream`` extension: the socket, for a fast abort."""
        if self.transport is None:
            return default
        return self.transport.get_extra_info(name, default)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    def _fail(self, error: httpx2.TransportError) -> None:
        if self.error is None:
            self.error = error
        self._wake()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if not self.in_use or self.complete:
            # Bytes nobody asked for (on an idle connection, or after the
            # response): the connection's state is unknown, never reuse it.
            self.lost = True
            self._fail(httpx2.RemoteProtocolError("unexpected data from the upstream"))
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx2.RemoteProtocolError(f"malformed response: {exc}"))
            self.close()

    def eof_received(self) -> bool | None:
        return None  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.in_use and not self.complete:
            if self.headers_complete and self._until_eof and exc is None:
                self.complete = True
            elif isinstance(exc, OSError):
                self._fail(httpx2.ReadError(str(exc) or type(exc).__name__))
            elif self.headers_complete:
                self._fail(
                    httpx2.RemoteProtocolError(
                        "peer closed connection without sending complete message body"
                    )
                )
            else:
                self._fail(
                    httpx2.RemoteProtocolError("Server disconnected without sending a response.")
                )
        self._wake()

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self.keep_alive = self._parser.should_keep_alive()
        self._until_eof = _close_delimited(self.status, self.headers)
        self.headers_complete = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._buffered += len(body)
        if self._buffered > READ_BUFFER_LIMIT and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake()


class _ResponseStream(httpx2.AsyncByteStream):
    def __init__(self, pool: LeanTransport, conn: _Connection, read_timeout: float | None) -> None:
        self._pool = pool
        self._conn = conn
        self._read_timeout = read_timeout
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            data = conn.take()
            if data is not None:
                yield data
            elif conn.complete:
                return
            elif conn.error is not None:
                raise conn.error
            else:
                await conn.wait(self._read_timeout)

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._pool.release(self._conn)


class LeanTransport(httpx2.AsyncBaseTransport):
    """Give it to the SDK as ``DefaultAsyncHttpxClient(transport=LeanTransport())``."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_idle: int = 100,
        keepalive_expiry_s: float = 5.0,
    ) -> None:
        self._ssl_context = ssl_context
        self._max_idle = max_idle
        self._keepalive_expiry_s = keepalive_expiry_s
        self._idle: dict[PoolKey, list[_Connection]] = {}
        self._open: set[_Connection] = set()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx2.UnsupportedProtocol(f"unsupported URL scheme {scheme!r}")
        key: PoolKey = (scheme, url.host, url.port or _DEFAULT_PORTS[scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        data = _request_bytes(request, await request.aread())
        conn = self._checkout(key) or await self._connect(key, timeouts.get("connect"))
        try:
            conn.send(data)
            await conn.read_head(read_timeout)
        except BaseException:
            self._discard(conn)  # cancelled or failed mid-request: never reuse
            raise
        return httpx2.Response(
            conn.status,
            headers=conn.headers,
            stream=_ResponseStream(self, conn, read_timeout),
            extensions={"http_version": b"HTTP/1.1", "network_stream": conn},
        )

    async def aclose(self) -> None:
        for conn in list(self._open):
            conn.close()
        self._open.clear()
        self._idle.clear()

    def release(self, conn: _Connection) -> None:
        """A response is closed: keep its connection if the whole body was read."""
        if not conn.reusable():
            self._discard(conn)
            return
        conn.in_use = False
        now = time.monotonic()
        conn.idle_since = now
        idle = self._idle.setdefault(conn.key, [])
        idle.append(conn)
        while idle and (
            len(idle) > self._max_idle or now - idle[0].idle_since > self._keepalive_expiry_s
        ):
            self._discard(idle.pop(0))

    def _checkout(self, key: PoolKey) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # newest first: the least likely to be closed by the server
            if not conn.lost and now - conn.idle_since <= self._keepalive_expiry_s:
                return conn
            self._discard(conn)
        return None

    def _discard(self, conn: _Connection) -> None:
        conn.close()
        self._open.discard(conn)

    async def _connect(self, key: PoolKey, connect_timeout_s: float | None) -> _Connection:
        scheme, host, port = key
        context = None
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = httpx2.create_ssl_context()
            context = self._ssl_context
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(connect_timeout_s):
                _, conn = await loop.create_connection(
                    lambda: _Connection(key),
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                )
        except TimeoutError as exc:
            raise httpx2.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:  # ssl.SSLError is one
            raise httpx2.ConnectError(str(exc) or type(exc).__name__) from exc
        self._open.add(conn)
        return conn


def _request_bytes(request: httpx2.Request, body: bytes) -> bytes:
    """Request line, headers and body in one buffer: one write, one segment when small."""
    lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), request.url.raw_path)]
    chunked = False
    for name, value in request.headers.raw:
        if name.lower() == b"transfer-encoding":
            chunked = True  # the body was read whole above: send its length instead
            continue
        lines.append(b"%s: %s\r\n" % (name, value))
    if chunked:
        lines.append(b"content-length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    lines.append(body)
    return b"".join(lines)
