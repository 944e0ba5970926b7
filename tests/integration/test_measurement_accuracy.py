"""Client timings agree with the mock's ground truth (same CLOCK_MONOTONIC)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

from loadtests.ledger_client import fetch_records
from loadtests.metrics import percentile
from loadtests.processes import python_module, running_server
from loadtests.records import RequestRecord
from loadtests.stream_client import stream_request
from loadtests.tokens import tokens_from_record

BODY = {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": True}


async def _run(url: str, n: int, stagger_s: float) -> list[RequestRecord]:
    tag = uuid.uuid4().hex[:8]

    async def one(i: int) -> RequestRecord:
        await asyncio.sleep(i * stagger_s)
        return await stream_request(f"{url}/v1/chat/completions", BODY, request_id=f"{tag}-{i}")

    return await asyncio.gather(*(one(i) for i in range(n)))


@pytest.fixture
def pinned_to_cpu1() -> Iterator[None]:
    """The client on CPU 1, the mock on CPU 0: neither waits for the other's core."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs 2 CPUs")
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {1})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@pytest.mark.parametrize("streams", [1, 100])
@pytest.mark.usefixtures("pinned_to_cpu1")
async def test_client_first_token_time_matches_the_ledger(tmp_path, streams: int) -> None:  # type: ignore[no-untyped-def]
    """First token: client arrival - mock write <= 1 ms at p99 (and never before the write)."""
    with running_server(
        python_module(
            "mock_llm", "--port", "0", "--ttft-ms", "100", "--itl-ms", "10", "--tokens", "30"
        ),
        cpu_list="0",
        log_path=str(tmp_path / "mock.log"),
    ) as mock:
        records = await _run(mock.url, streams, 0.002)
        ledger = {r["id"]: r for r in fetch_records(mock.url)}
    diffs_ms = []
    for record in records:
        first = tokens_from_record(record, "openai").first_token_ns
        assert first is not None, record.error
        written = ledger[record.request_id]["token_write_ns"][0]
        diffs_ms.append((first - written) / 1e6)
    assert min(diffs_ms) >= 0  # causality: one clock on both sides
    assert percentile(diffs_ms, 99) <= 1.0, sorted(diffs_ms)[-5:]
