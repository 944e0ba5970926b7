"""Helpers for the service integration tests: processes, a raw HTTP client, the ledger.

The client is a raw asyncio socket so a test controls exactly when it stops
reading and when it closes, and stamps ``perf_counter_ns()`` when bytes arrive.
``perf_counter_ns`` reads CLOCK_MONOTONIC, the clock of the mock's ledger.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from loadtests.systems.processes import ServerProcess, python_module, start_server

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


# processes


@dataclass
class Servers:
    """Started processes of one test module, stopped together (conftest.py's ``servers``)."""

    tmp: Path
    started: list[ServerProcess] = field(default_factory=list)

    def mock(self, *flags: str) -> ServerProcess:
        log = self.tmp / f"mock-{len(self.started)}.log"
        server = start_server(python_module("mock_llm", "--port", "0", *flags), log_path=str(log))
        self.started.append(server)
        return server

    def service(self, variant: str, upstream: str, *flags: str) -> ServerProcess:
        log = self.tmp / f"service-{variant}-{len(self.started)}.log"
        argv = python_module(
            "service", "--variant", variant, "--port", "0", "--upstream", upstream,
            "--forward-mock-headers", "true", "--log-level", "warning", *flags,
        )  # fmt: skip
        server = start_server(argv, log_path=str(log))
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


# ``service_for(variant, *flags)`` (conftest.py): a started service process.
ServiceFor = Callable[..., ServerProcess]


def new_request_id(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


# SSE parsing (the spec's rules, enough for tests)


def sse_data(body: bytes) -> list[str]:
    """The ``data`` of every dispatched event, per the SSE parsing rules."""
    out: list[str] = []
    data: list[str] | None = None
    for line in re.split(r"\r\n|\r|\n", body.decode("utf-8", errors="replace")):
        if line == "":
            if data is not None:
                out.append("\n".join(data))
            data = None
            continue
        name, sep, value = line.partition(":")
        if not sep:
            value = ""
        elif value.startswith(" "):
            value = value[1:]
        if name == "data":
            data = [*(data or []), value]
    return out


def tokens_of(data: list[str]) -> list[str]:
    """Token texts of our JSON events, stopping at ``[DONE]`` or an error event."""
    tokens: list[str] = []
    for item in data:
        if item == "[DONE]":
            break
        obj = json.loads(item)
        if "error" in obj:
            break
        tokens.append(obj["token"])
    return tokens


# the raw client


class ChunkedDecoder:
    """Incremental HTTP/1.1 chunked transfer decoding."""

    def __init__(self) -> None:
        self._buf = b""
        self.done = False

    def feed(self, data: bytes) -> bytes:
        self._buf += data
        out = bytearray()
        while not self.done:
            line_end = self._buf.find(b"\r\n")
            if line_end < 0:
                break
            size = int(self._buf[:line_end].split(b";")[0], 16)
            if size == 0:
                self.done = True
                break
            start = line_end + 2
            if len(self._buf) < start + size + 2:
                break
            out += self._buf[start : start + size]
            self._buf = self._buf[start + size + 2 :]
        return bytes(out)


@dataclass
class Event:
    at_ns: int
    data: bytes


class RawStream:
    """One POST /chat/stream on its own socket."""

    def __init__(self, sock: socket.socket, start_ns: int, request_id: str) -> None:
        self.sock = sock
        self.start_ns = start_ns
        self.request_id = request_id
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.events: list[Event] = []
        self.complete = False
        self.closed_ns: int | None = None
        self._pending = b""
        self._head_buf = b""
        self._decoder: ChunkedDecoder | None = None
        self._length: int | None = None

    @classmethod
    async def open(
        cls,
        url: str,
        payload: object | bytes,
        *,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
        rcvbuf: int | None = None,
        path: str = "/chat/stream",
        method: str = "POST",
    ) -> RawStream:
        loop = asyncio.get_running_loop()
        host, port = url.removeprefix("http://").rsplit(":", 1)
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        rid = request_id or new_request_id()
        all_headers = {
            "host": f"{host}:{port}",
            "content-type": "application/json",
            "content-length": str(len(body)),
            "x-request-id": rid,
            **(headers or {}),
        }
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in all_headers.items()
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        start_ns = time.perf_counter_ns()
        await loop.sock_connect(sock, (host, int(port)))
        await loop.sock_sendall(sock, head.encode() + b"\r\n" + body)
        return cls(sock, start_ns, rid)

    async def _recv(self) -> bool:
        data = await asyncio.get_running_loop().sock_recv(self.sock, 262_144)
        now = time.perf_counter_ns()
        if not data:
            return False
        self._ingest(data, now)
        return True

    def _ingest(self, data: bytes, now: int) -> None:
        if not self.status:
            self._head_buf += data
            end = self._head_buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self._head_buf[:end].decode("latin-1").split("\r\n")
            self.status = int(lines[0].split()[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
            data = self._head_buf[end + 4 :]
            self._head_buf = b""
            if self.headers.get("transfer-encoding") == "chunked":
                self._decoder = ChunkedDecoder()
            else:
                self._length = int(self.headers.get("content-length", "0"))
        if self._decoder is not None:
            body = self._decoder.feed(data)
            self.complete = self._decoder.done
        else:
            body = data
            self.complete = self._length is not None and len(self.body) + len(body) >= self._length
        self.body += body
        self._pending += body
        while (match := _EVENT_END.search(self._pending)) is not None:
            self.events.append(Event(now, self._pending[: match.start()]))
            self._pending = self._pending[match.end() :]

    def token_events(self) -> int:
        return sum(1 for e in self.events if e.data.startswith(b'data: {"token"'))

    async def read_until_events(self, k: int, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while self.token_events() < k:
                if not await self._recv():
                    raise AssertionError(f"connection closed after {len(self.events)} events")

    async def read_head(self, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not self.status:
                if not await self._recv():
                    raise AssertionError("connection closed before the response head")

    async def read_all(self, timeout_s: float = 30.0) -> RawStream:
        async with asyncio.timeout(timeout_s):
            while not self.complete:
                if not await self._recv():
                    break
        self.close()
        return self

    def close(self) -> int:
        """Close now; returns the close time (perf_counter_ns)."""
        if self.closed_ns is None:
            self.closed_ns = time.perf_counter_ns()
            self.sock.close()
        return self.closed_ns

    # results

    def data(self) -> list[str]:
        return sse_data(self.body)

    def tokens(self) -> list[str]:
        return tokens_of(self.data())

    def json(self) -> Any:
        return json.loads(self.body)

    def ttft_ns(self) -> int:
        """First token event arrival - request start."""
        for event in self.events:
            if event.data.startswith(b'data: {"token"'):
                return event.at_ns - self.start_ns
        raise AssertionError("no token event")


async def stream(url: str, payload: object, timeout_s: float = 30.0, **kw: Any) -> RawStream:
    raw = await RawStream.open(url, payload, **kw)
    return await raw.read_all(timeout_s)


# the mock's ledger and the service's metrics


async def ledger_records(mock_url: str, request_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{mock_url}/mock/requests", params={"id": request_id})
    resp.raise_for_status()
    records: list[dict[str, Any]] = resp.json()["requests"]
    return records


async def ledger_by_id(mock_url: str, limit: int = 1000) -> dict[str, dict[str, Any]]:
    """The last ``limit`` records in one request (last record per id)."""
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{mock_url}/mock/requests", params={"limit": str(limit)})
    resp.raise_for_status()
    return {r["id"]: r for r in resp.json()["requests"]}


async def wait_finished(mock_url: str, request_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """The mock's record once it has a finish_reason (the generation is over)."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = await ledger_records(mock_url, request_id)
        if records and records[-1]["finish_reason"] is not None:
            return records[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"upstream request {request_id} still running: {records}")
        await asyncio.sleep(0.05)


async def wait_closed(mock_url: str, request_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """The record once the mock saw its connection close."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = await ledger_records(mock_url, request_id)
        if records and records[-1]["closed_ns"] is not None:
            return records[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"upstream connection of {request_id} still open: {records}")
        await asyncio.sleep(0.05)


def tokens_after(record: Mapping[str, Any], close_ns: int) -> int:
    """Tokens the mock wrote after the client's close time (same monotonic clock)."""
    return sum(1 for t in record["token_write_ns"] if t > close_ns)


async def mock_stats(mock_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{mock_url}/mock/stats")
    stats: dict[str, Any] = resp.json()
    return stats


async def metric_value(service_url: str, name: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{service_url}/metrics")).text
    for line in text.splitlines():
        if line.startswith((name + " ", name + "{")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"metric {name} not found")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]
