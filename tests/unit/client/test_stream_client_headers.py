"""stream_request: a caller's header replaces the default of the same name."""

from __future__ import annotations

import asyncio

from loadtests.client.stream_client import stream_request

RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 9\r\n"
    b"connection: close\r\n\r\ndata: x\n\n"
)


async def _request_head(headers: dict[str, str] | None) -> list[str]:
    """Send one request to a throwaway 127.0.0.1 server; return its header lines."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(RESPONSE)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        record = await stream_request(
            f"http://127.0.0.1:{port}/x", {}, request_id="r", headers=headers, timeout_s=5
        )
    assert record.error is None
    return [line.lower() for line in seen[0].decode("latin-1").split("\r\n")[1:] if line]


async def test_defaults_ask_for_identity_and_close() -> None:
    head = await _request_head(None)
    assert "accept-encoding: identity" in head
    assert "connection: close" in head


async def test_an_explicit_accept_encoding_replaces_identity() -> None:
    """Sent once: nginx 1.22 reads only the first Accept-Encoding of a request."""
    head = await _request_head({"Accept-Encoding": "gzip"})
    assert [h for h in head if h.startswith("accept-encoding:")] == ["accept-encoding: gzip"]
    assert "accept: text/event-stream" in head


async def test_other_headers_are_added() -> None:
    head = await _request_head({"x-mock-tokens": "3"})
    assert "x-mock-tokens: 3" in head
    assert "accept-encoding: identity" in head
