"""The ledger tells the truth about every request, including what happened after a disconnect."""

from __future__ import annotations

import json
import socket
import time
import uuid

import httpx
import pytest

from loadtests.systems.processes import ServerProcess


def stream_then_close(url: str, request_id: str, after_tokens: int, tokens: int) -> int:
    """Raw-socket client: read ``after_tokens`` content events, close; return close time (ns)."""
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps(
        {
            "model": "mock-gpt",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
            "mock": {"tokens": tokens, "itl_ms": 20, "ttft_ms": 10},
        }
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"x-request-id: {request_id}\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection((host, int(port)))
    sock.sendall(head + body)
    seen = b""
    while seen.count(b'"delta":{"content"') < after_tokens:
        data = sock.recv(65536)
        assert data, "mock closed early"
        seen += data
    sock.close()
    return time.perf_counter_ns()


def ledger(url: str, request_id: str) -> dict[str, object]:
    records = httpx.get(f"{url}/mock/requests", params={"id": request_id}).json()["requests"]
    assert len(records) == 1
    record: dict[str, object] = records[0]
    return record


@pytest.mark.parametrize("mode", ["abort", "continue"])
def test_disconnect_after_five_tokens(start_mock, mode: str) -> None:  # type: ignore[no-untyped-def]
    mock = start_mock("--on-disconnect", mode)
    rid = f"dc-{uuid.uuid4().hex}"
    closed_ns = stream_then_close(mock.url, rid, after_tokens=5, tokens=30)
    time.sleep(0.8)  # the rest of the stream's schedule (25 x 20 ms) has passed
    rec = ledger(mock.url, rid)
    assert rec["disconnected"] is True
    assert isinstance(rec["disconnect_ns"], int)
    assert rec["finish_reason"] == "client_disconnected"
    writes = rec["token_write_ns"]
    assert isinstance(writes, list)
    assert rec["tokens_written"] == len(writes)
    assert 5 <= len(writes) <= 6
    # The mock's clock and ours are the same CLOCK_MONOTONIC.
    assert sum(1 for t in writes if t > closed_ns) <= 1
    assert abs(rec["disconnect_ns"] - closed_ns) < 50_000_000  # type: ignore[operator]
    if mode == "abort":
        assert rec["tokens_after_disconnect"] <= 1  # type: ignore[operator]
        assert rec["tokens_generated"] <= 6  # type: ignore[operator]
    else:
        assert rec["tokens_generated"] == 30
        assert rec["tokens_after_disconnect"] >= 24  # type: ignore[operator]


def test_completed_record_fields(shared_mock: ServerProcess) -> None:
    rid = f"ok-{uuid.uuid4().hex}"
    httpx.post(
        f"{shared_mock.url}/v1/chat/completions",
        json={
            "model": "mock-gpt",
            "messages": [{"role": "user", "content": "x"}],
            "stream": True,
            "mock": {"tokens": 4},
        },
        headers={"x-request-id": rid},
    ).raise_for_status()
    rec = ledger(shared_mock.url, rid)
    assert rec["finish_reason"] == "completed"
    assert rec["tokens_generated"] == rec["tokens_written"] == 4
    assert rec["disconnected"] is False
    assert rec["tokens_after_disconnect"] == 0
    writes = rec["token_write_ns"]
    assert isinstance(writes, list)
    assert writes == sorted(writes)
    # The scheduler writes tokens due within half a slot rather than spin for them.
    early_ns = httpx.get(f"{shared_mock.url}/mock/stats").json()["tick_us"] * 1000 // 2
    assert writes[0] >= rec["first_token_due_ns"] - early_ns  # type: ignore[operator]
    assert rec["arrival_ns"] <= rec["headers_ns"] <= writes[0]  # type: ignore[operator]


def test_ledger_filter_limit_reset_and_metrics(start_mock) -> None:  # type: ignore[no-untyped-def]
    mock = start_mock("--ttft-ms", "0", "--itl-ms", "0", "--tokens", "3")
    for i in range(3):
        httpx.post(
            f"{mock.url}/v1/chat/completions",
            json={"model": "mock-gpt", "messages": [{"role": "user", "content": "x"}]},
            headers={"x-request-id": f"r{i}"},
        )
    assert len(httpx.get(f"{mock.url}/mock/requests").json()["requests"]) == 3
    assert [
        r["id"]
        for r in httpx.get(f"{mock.url}/mock/requests", params={"limit": 2}).json()["requests"]
    ] == ["r1", "r2"]
    metrics = httpx.get(f"{mock.url}/metrics").text
    assert "mock_llm_tokens_generated_total 9.0" in metrics
    assert "mock_llm_token_lateness_seconds_bucket" in metrics
    assert httpx.delete(f"{mock.url}/mock/requests").json() == {"cleared": 3}
    assert httpx.get(f"{mock.url}/mock/requests").json()["requests"] == []


def test_ledger_jsonl(start_mock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ledger.jsonl"
    mock = start_mock("--ledger-jsonl", str(path), "--ttft-ms", "0", "--itl-ms", "0")
    httpx.post(
        f"{mock.url}/v1/chat/completions",
        json={"model": "mock-gpt", "messages": [{"role": "user", "content": "x"}]},
        headers={"x-request-id": "jsonl-1"},
    )
    # The record is persisted right after the response is written, in the same
    # loop callback; the client can see the response first (another process).
    # Any later request is served after that callback: a sync point, no sleep.
    assert httpx.get(f"{mock.url}/mock/requests", params={"id": "jsonl-1"}).json()["requests"]
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["id"] for r in lines] == ["jsonl-1"]
    assert lines[0]["finish_reason"] == "completed"
