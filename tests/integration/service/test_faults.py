"""Upstream faults through the reference: the right status or error event, nothing hung.

Before the first token a failure is an HTTP status with a JSON body; after it,
an SSE error event and the end of the stream (no ``[DONE]``). Every answer is
checked for leaks of the API key, the upstream address, upstream error text or
a traceback, and every upstream request for being over (the mock's ledger).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest

from loadtests.systems.processes import ServerProcess
from tests.integration.service.service_support import (
    RawStream,
    Servers,
    mock_stats,
    stream,
    wait_finished,
)

pytestmark = pytest.mark.timeout(90)

API_KEY = "sk-test-SECRET-4f2a9c"
READ_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def mock(servers: Servers) -> ServerProcess:
    return servers.mock("--api-key", API_KEY, "--ttft-ms", "20", "--itl-ms", "10", "--tokens", "8")


@pytest.fixture(scope="module")
def service(servers: Servers, mock: ServerProcess) -> ServerProcess:
    return servers.service(
        "reference", mock.url, "--api-key", API_KEY, "--read-timeout-s", str(READ_TIMEOUT_S)
    )


def _assert_sanitized(text: str, mock: ServerProcess) -> None:
    hostport = mock.url.removeprefix("http://")
    for secret in (API_KEY, hostport, "mock_llm", "Traceback", "injected"):
        assert secret not in text, f"{secret!r} leaked into {text!r}"


def _fault(spec: dict[str, Any]) -> dict[str, str]:
    return {"X-Mock-Fault": json.dumps(spec)}


async def _upstream_over(mock: ServerProcess, raw: RawStream) -> dict[str, Any]:
    record = await wait_finished(mock.url, raw.request_id, timeout_s=3)
    assert record["finish_reason"] in {"fault", "completed", "client_disconnected", "rejected"}
    return record


@pytest.mark.parametrize(
    ("spec", "status", "error_type"),
    [
        ({"kind": "status", "status": 429, "retry_after": 7}, 429, "upstream_rate_limited"),
        ({"kind": "status", "status": 500}, 502, "upstream_error"),
        ({"kind": "status", "status": 503}, 502, "upstream_error"),
        ({"kind": "error_event", "at": 1}, 502, "upstream_error"),
        ({"kind": "drop", "at": 1, "mode": "reset"}, 502, "upstream_unavailable"),
        ({"kind": "malformed", "at": 1}, 502, "upstream_malformed"),
        ({"kind": "stall", "at": 1, "seconds": 5}, 504, "upstream_timeout"),
    ],
)
async def test_failure_before_first_token_is_an_http_error(
    service: ServerProcess,
    mock: ServerProcess,
    spec: dict[str, Any],
    status: int,
    error_type: str,
) -> None:
    start = time.monotonic()
    raw = await stream(service.url, {"prompt": "hi"}, headers=_fault(spec), timeout_s=10)
    elapsed = time.monotonic() - start
    assert raw.status == status
    assert raw.headers["content-type"] == "application/json"
    assert raw.json()["error"]["type"] == error_type
    assert raw.json()["error"]["message"]
    assert raw.headers["x-request-id"] == raw.request_id
    if status == 429:
        assert raw.headers["retry-after"] == "7"
    assert elapsed < READ_TIMEOUT_S + 1.5
    _assert_sanitized(raw.body.decode(), mock)
    record = await _upstream_over(mock, raw)
    if spec["kind"] == "stall":
        # The service gave up and closed the connection; the mock stopped.
        assert record["finish_reason"] == "client_disconnected"
        assert record["closed_ns"] is not None


@pytest.mark.parametrize(
    ("spec", "error_type"),
    [
        ({"kind": "error_event", "at": 3}, "upstream_error"),
        ({"kind": "drop", "at": 3, "mode": "close"}, "upstream_unavailable"),
        ({"kind": "drop", "at": 3, "mode": "reset"}, "upstream_unavailable"),
        ({"kind": "malformed", "at": 3}, "upstream_malformed"),
        ({"kind": "stall", "at": 3, "seconds": 5}, "upstream_timeout"),
    ],
)
async def test_failure_after_first_token_is_an_error_event(
    service: ServerProcess, mock: ServerProcess, spec: dict[str, Any], error_type: str
) -> None:
    start = time.monotonic()
    raw = await stream(service.url, {"prompt": "hi"}, headers=_fault(spec), timeout_s=10)
    elapsed = time.monotonic() - start
    assert raw.status == 200
    assert raw.complete, "the stream must end properly, not hang or be cut"
    data = raw.data()
    assert len(raw.tokens()) == 2
    last = json.loads(data[-1])
    assert last == {"error": {"type": error_type, "message": last["error"]["message"]}}
    assert "[DONE]" not in data
    assert elapsed < READ_TIMEOUT_S + 1.5
    _assert_sanitized(raw.body.decode(), mock)
    record = await _upstream_over(mock, raw)
    if spec["kind"] == "stall":
        assert record["finish_reason"] == "client_disconnected"
        assert record["closed_ns"] is not None


async def test_missing_done_after_a_finished_stream_still_completes(
    service: ServerProcess, mock: ServerProcess
) -> None:
    """finish_reason arrived, only ``[DONE]`` is missing: the answer is whole."""
    raw = await stream(service.url, {"prompt": "hi"}, headers=_fault({"kind": "no_done"}))
    assert raw.status == 200
    assert len(raw.tokens()) == 8
    assert raw.data()[-1] == "[DONE]"
    await _upstream_over(mock, raw)


async def test_no_upstream_stream_left_running(service: ServerProcess, mock: ServerProcess) -> None:
    """After all the faults above (and a burst of them at once), the mock is idle."""
    specs = [
        {"kind": "stall", "at": 2, "seconds": 5},
        {"kind": "drop", "at": 2},
        {"kind": "error_event", "at": 2},
        {"kind": "status", "status": 500},
    ]
    await asyncio.gather(
        *(stream(service.url, {"prompt": "hi"}, headers=_fault(s), timeout_s=10) for s in specs)
    )
    await asyncio.sleep(0.3)
    stats = await mock_stats(mock.url)
    assert stats["active_streams"] == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_upstream_is_a_clean_502(servers: Servers) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}"
    service = servers.service("reference", dead, "--api-key", API_KEY, "--connect-timeout-s", "1")
    raw = await stream(service.url, {"prompt": "hi"}, timeout_s=10)
    assert raw.status == 502
    assert raw.json()["error"]["type"] == "upstream_unavailable"
    body = raw.body.decode()
    for secret in (API_KEY, dead.removeprefix("http://"), "Traceback"):
        assert secret not in body
