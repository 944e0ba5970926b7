"""One in-process mock server and a request through it to the end, without sockets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from mock_llm.engine.scheduler import TimerWheel
from mock_llm.http.connection import HttpConnection
from mock_llm.ledger import LedgerRecord
from mock_llm.server import MockServer, create_app
from mock_llm.settings import MockSettings
from tests.unit.mock_llm.fake_client import SinkTransport, raw_post


def started(**settings: object) -> MockServer:
    """A server on the running loop's timer wheel (no socket); close it when done."""
    server = create_app(MockSettings(ttft_ms=0, itl_ms=0, **settings))  # type: ignore[arg-type]
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    return server


async def until(condition: Callable[[], object], timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.001)


async def completed(
    server: MockServer,
    body: dict[str, object],
    headers: dict[str, str] | None = None,
    path: bytes = b"/v1/chat/completions",
) -> tuple[LedgerRecord, bytes]:
    """Send ``body``; return its ledger record once finished and every byte written."""
    transport = SinkTransport()
    conn = HttpConnection(server.dispatch, 1 << 22)
    conn.connection_made(transport)  # type: ignore[arg-type]
    conn.data_received(raw_post(json.dumps(body).encode(), path, headers))
    record = server.ledger.query()[-1]
    await until(lambda: record.finish_reason is not None)
    return record, b"".join(transport.writes)


def chat(content: object, **extra: object) -> dict[str, object]:
    return {"model": "mock-gpt", "messages": [{"role": "user", "content": content}], **extra}


def content_tokens(written: bytes) -> list[str]:
    """The content of each streamed chat chunk that carries some (role-only chunks skipped)."""
    out: list[str] = []
    for line in written.split(b"\n"):
        if not line.startswith(b"data: {"):
            continue
        for choice in json.loads(line[len(b"data: ") :])["choices"]:
            text = choice.get("delta", {}).get("content")
            if text:
                out.append(text)
    return out
