"""Over a real socket: the ledger's generated text and attempts, and open connections."""

from __future__ import annotations

import socket
import time
import uuid

import httpx

from loadtests.client.ledger import fetch_records
from loadtests.client.marker import Shaping
from loadtests.client.response_shapes import OPENAI_CHAT, read_record
from loadtests.client.stream_client import stream_request
from loadtests.systems.processes import ServerProcess


async def test_the_streamed_text_is_the_ledgers_byte_for_byte(shared_mock: ServerProcess) -> None:
    """``hard`` text (multi-byte UTF-8, CRLF, ``data: [DONE]`` as text) read by our client."""
    rid = f"truth-{uuid.uuid4().hex[:8]}"
    record = await stream_request(
        f"{shared_mock.url}/v1/chat/completions",
        {
            "model": "mock-gpt",
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
            "mock": {"tokens": 40, "text_mode": "hard", "ttft_ms": 0, "itl_ms": 1},
        },
        request_id=rid,
    )
    result = read_record(record, OPENAI_CHAT)
    (ledgered,) = fetch_records(shared_mock.url, rid)
    assert result.terminator_seen
    assert ledgered["text"] == result.text
    assert ledgered["text_chars"] == len(result.text)
    assert "👩‍💻" in result.text


async def test_a_retried_429_is_two_attempts_under_one_id(shared_mock: ServerProcess) -> None:
    rid = f"retry-{uuid.uuid4().hex[:8]}"
    shaping = Shaping(
        tokens=3, fault="status", fault_status=429, fault_retry_after=0, fault_times=1
    )
    body = {
        "model": "mock-gpt",
        "stream": True,
        "messages": [{"role": "user", "content": f"hi [sg:{rid} " + _pairs(shaping) + "]"}],
    }
    url = f"{shared_mock.url}/v1/chat/completions"
    statuses = [(await stream_request(url, body, request_id=rid)).status for _ in range(2)]
    records = fetch_records(shared_mock.url, rid)
    assert statuses == [429, 200]
    assert [(r["attempt"], r["status"]) for r in records] == [(1, 429), (2, 200)]


def _pairs(shaping: Shaping) -> str:
    return " ".join(f"{k}={v}" for k, v in shaping.pairs())


def test_stats_count_open_client_connections(start_mock) -> None:  # type: ignore[no-untyped-def]
    mock = start_mock()
    host, port = mock.url.removeprefix("http://").split(":")

    def open_now() -> int:
        count: int = httpx.get(f"{mock.url}/mock/stats").json()["open_connections"]
        return count

    before = open_now()
    socks = [socket.create_connection((host, int(port))) for _ in range(3)]
    deadline = time.monotonic() + 2
    while open_now() != before + 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert open_now() == before + 3
    for sock in socks:
        sock.close()
    deadline = time.monotonic() + 2
    while open_now() != before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert open_now() == before
