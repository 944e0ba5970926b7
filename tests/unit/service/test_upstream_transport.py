"""The lean transport against a scripted loopback server: framing, reuse, errors, timeouts.

Each test's server answers every request on a connection with ``script(writer)``
and records what happened (connections accepted, EOFs seen), so reuse and
closes are observed from the server's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx2
import openai
import pytest

from service.upstream_transport import LeanTransport

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Upstream:
    url: str
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    eofs: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@contextlib.asynccontextmanager
async def _upstream(*scripts: Script) -> AsyncIterator[Upstream]:
    """Answers request i with ``scripts[i]`` (the last one repeats)."""
    state = Upstream(url="")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                state.requests.append(head + await reader.readexactly(length))
                index = min(len(state.requests), len(scripts)) - 1
                await scripts[index](reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            state.eofs += 1
            state.closed.set()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()


def _chunked(*pieces: bytes) -> list[bytes]:
    return [b"%x\r\n%b\r\n" % (len(p), p) for p in pieces] + [b"0\r\n\r\n"]


HEAD_CHUNKED = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
)


def _stream(*pieces: bytes, gap_s: float = 0.01) -> Script:
    async def script(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD_CHUNKED)
        for part in _chunked(*pieces):
            await writer.drain()
            await asyncio.sleep(gap_s)
            writer.write(part)
        await writer.drain()

    return script


def _client(**timeouts: float) -> httpx2.AsyncClient:
    timeout = httpx2.Timeout(timeouts.get("read", 5.0), connect=timeouts.get("connect", 5.0))
    return httpx2.AsyncClient(transport=LeanTransport(), timeout=timeout)


async def test_pieces_arrive_as_sent_and_the_connection_is_reused() -> None:
    async with _upstream(_stream(b"data: a\n\n", b"data: b\n\n")) as up, _client() as client:
        for _ in range(3):
            async with client.stream("POST", up.url + "/v1/x", content=b'{"q":1}') as response:
                assert response.status_code == 200
                assert response.headers["content-type"] == "text/event-stream"
                pieces = [p async for p in response.aiter_raw()]
            assert pieces == [b"data: a\n\n", b"data: b\n\n"]
        assert up.connections == 1
        assert up.requests[0].startswith(b"POST /v1/x HTTP/1.1\r\n")
        assert up.requests[0].endswith(b'\r\n\r\n{"q":1}')


async def test_content_length_and_close_delimited_bodies() -> None:
    async def sized(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")

    async def until_close(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nto the end")
        await writer.drain()
        writer.close()
        raise ConnectionError  # leave serve(): this connection is done

    async with _upstream(sized, until_close, sized) as up, _client() as client:
        assert (await client.post(up.url, content=b"")).content == b"hello"
        assert (await client.post(up.url, content=b"")).content == b"to the end"
        assert (await client.post(up.url, content=b"")).content == b"hello"
        assert up.connections == 2  # not reused after the close-delimited answer


async def test_closing_an_unread_response_closes_its_connection() -> None:
    async def endless(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD_CHUNKED)
        while True:
            writer.write(b"5\r\nhello\r\n")
            await writer.drain()
            await asyncio.sleep(0.01)

    async with _upstream(endless) as up, _client() as client:
        async with client.stream("POST", up.url, content=b"") as response:
            async for _ in response.aiter_raw():
                break
        await asyncio.wait_for(up.closed.wait(), 2)
        assert up.eofs == 1


async def test_cancelled_while_waiting_for_headers_closes_the_connection() -> None:
    async def never(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        await reader.read()  # no answer; returns at the client's EOF
        raise ConnectionError

    async with _upstream(never) as up, _client() as client:
        request = asyncio.create_task(client.post(up.url, content=b""))
        await asyncio.sleep(0.1)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        await asyncio.wait_for(up.closed.wait(), 2)


async def test_read_timeout_between_chunks() -> None:
    async with _upstream(_stream(b"a", b"b", gap_s=0.5)) as up, _client(read=0.1) as client:
        with pytest.raises(httpx2.ReadTimeout):
            await client.post(up.url, content=b"")


@pytest.mark.parametrize(
    ("how", "error"),
    [("close", httpx2.RemoteProtocolError), ("reset", httpx2.ReadError)],
)
async def test_a_connection_lost_mid_body_is_a_transport_error(
    how: str, error: type[httpx2.TransportError]
) -> None:
    async def drop(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(HEAD_CHUNKED + b"5\r\nhello\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        if how == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        writer.close()
        raise ConnectionError

    async with (
        _upstream(drop) as up,
        _client() as client,
        client.stream("POST", up.url, content=b"") as response,
    ):
        with pytest.raises(error):
            async for _ in response.aiter_raw():
                pass


async def test_no_answer_at_all_and_a_refused_connection() -> None:
    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()
        raise ConnectionError

    async with _upstream(hang_up) as up, _client() as client:
        with pytest.raises(httpx2.RemoteProtocolError):
            await client.post(up.url, content=b"")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with _client() as client:
        with pytest.raises(httpx2.ConnectError):
            await client.post(f"http://127.0.0.1:{port}", content=b"")


async def test_under_the_sdk_auth_status_errors_and_retries_still_work() -> None:
    async def unavailable(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = json.dumps({"error": {"message": "busy"}}).encode()
        writer.write(
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            b"retry-after: 0\r\ncontent-length: %d\r\n\r\n%b" % (len(body), body)
        )

    async def ok(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = json.dumps({"object": "list", "data": []}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%b"
            % (len(body), body)
        )

    async with _upstream(unavailable, ok) as up:
        for retries, expect_ok in ((1, True), (0, False)):
            up.requests.clear()
            client = openai.AsyncOpenAI(
                api_key="sk-x",
                base_url=up.url + "/v1",
                max_retries=retries,
                http_client=openai.DefaultAsyncHttpxClient(transport=LeanTransport()),
            )
            async with client:
                if expect_ok:
                    await client.models.list()
                else:
                    with pytest.raises(openai.InternalServerError):
                        await client.models.list()
            assert b"authorization: Bearer sk-x" in up.requests[0]
            assert len(up.requests) == 1 + retries
