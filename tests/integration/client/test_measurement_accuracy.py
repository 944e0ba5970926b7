"""Client timings agree with the mock's ground truth (same CLOCK_MONOTONIC)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from loadtests.client.ledger import fetch_records
from loadtests.client.tokens import tokens_from_record
from loadtests.metrics import percentile
from loadtests.systems.processes import python_module, running_server
from tests.integration.mock_streams import staggered_streams


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


async def _diffs_ms(mock_url: str, streams: int) -> list[float]:
    # 1 stream: 20 requests one after another, so p99 is not one sample.
    if streams == 1:
        records = [r for _ in range(20) for r in await staggered_streams(mock_url, 1, 0)]
    else:
        records = await staggered_streams(mock_url, streams, 0.002)
    ledger = {r["id"]: r for r in fetch_records(mock_url)}
    diffs_ms = []
    for record in records:
        first = tokens_from_record(record, "openai").first_token_ns
        assert first is not None, record.error
        written = ledger[record.request_id]["token_write_ns"][0]
        diffs_ms.append((first - written) / 1e6)
    return diffs_ms


@pytest.fixture
def vcpus_awake() -> Iterator[None]:
    """Nice-19 busy loops on both CPUs, stopped by PID afterwards.

    Measured here: an idle vCPU of this VM takes ~1 ms to wake for a packet, so
    a lone stream's delivery was 0.9-1.3 ms at p99 with idle cores and 0.5-0.7
    ms with these spinners (which yield to any normal-priority work). The test
    is about our client's stamping, not the hypervisor's idle states.
    """
    spinners = [
        subprocess.Popen(
            [
                "taskset",
                "-c",
                str(cpu),
                "nice",
                "-n",
                "19",
                sys.executable,
                "-c",
                "while True: pass",
            ]
        )
        for cpu in (0, 1)
    ]
    try:
        yield
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("streams", [1, 100])
@pytest.mark.usefixtures("pinned_to_cpu1", "vcpus_awake")
async def test_client_first_token_time_matches_the_ledger(tmp_path, streams: int) -> None:  # type: ignore[no-untyped-def]
    """First token: client arrival - mock write p50 <= 2 ms, p99 <= 5 ms, never before the write.

    The margins are for a shared 2-core machine (idle, p50 is ~0.05 ms and p99
    ~0.3-0.8 ms: ``tests.bench.client_accuracy`` records those). They still
    fail every client mistake worth catching: stamping after a read buffer
    fills or after the next event arrives is late by at least one 10 ms ITL.
    Up to 3 attempts, each judged whole: a vCPU's wake-up or a neighbour's
    burst adds isolated outliers; a client that stamps late fails every attempt.
    """
    attempts: list[tuple[float, float]] = []
    with running_server(
        python_module(
            "mock_llm", "--port", "0", "--ttft-ms", "100", "--itl-ms", "10", "--tokens", "30"
        ),
        cpu_list="0",
        log_path=str(tmp_path / "mock.log"),
    ) as mock:
        for _ in range(3):
            diffs = await _diffs_ms(mock.url, streams)
            assert min(diffs) >= 0  # causality: one clock on both sides
            attempts.append((percentile(diffs, 50), percentile(diffs, 99)))
            if _within_bounds(*attempts[-1]):
                break
    print(
        f"{streams} stream(s): first-token arrival - ledger write, p50/p99 per attempt (ms): "
        + ", ".join(f"{p50:.3f}/{p99:.3f}" for p50, p99 in attempts)
    )
    assert any(_within_bounds(*a) for a in attempts), attempts


def _within_bounds(p50_ms: float, p99_ms: float) -> bool:
    return p50_ms <= 2.0 and p99_ms <= 5.0
