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


async def _p99_diff_ms(mock_url: str, streams: int) -> tuple[float, list[float]]:
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
    return percentile(diffs_ms, 99), diffs_ms


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
    """First token: client arrival - mock write <= 1 ms at p99, never before the write.

    Up to 3 attempts, each judged whole: on this VM an idle vCPU's wake-up
    occasionally adds 1-3 ms to a single delivery (isolated outliers); a
    client that stamps late (saturated, or parsing before stamping) fails
    every attempt.
    """
    attempts: list[float] = []
    with running_server(
        python_module(
            "mock_llm", "--port", "0", "--ttft-ms", "100", "--itl-ms", "10", "--tokens", "30"
        ),
        cpu_list="0",
        log_path=str(tmp_path / "mock.log"),
    ) as mock:
        for _ in range(3):
            p99, diffs = await _p99_diff_ms(mock.url, streams)
            assert min(diffs) >= 0  # causality: one clock on both sides
            attempts.append(p99)
            if p99 <= 1.0:
                break
    print(
        f"{streams} stream(s): first-token arrival - ledger write, p99 per attempt (ms): "
        + ", ".join(f"{a:.3f}" for a in attempts)
    )
    assert min(attempts) <= 1.0, attempts
