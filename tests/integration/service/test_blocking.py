"""Loop blocking: the reference keeps the loop free; the sync variants do not.

The reference's guarantees are checked on both references (``reference``,
``reference_fast``). Real mock_llm, real uvicorn service processes, the open-loop /healthz prober
of ``loadtests.client.prober`` in its own process. Only probes due while the streams
ran count, so a slow prober start cannot make a test vacuous. Margins are wide
on purpose (two shared, noisy cores).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtests.client.prober import collect_prober, spawn_prober
from loadtests.systems.processes import ServerProcess
from tests.integration.service.service_support import (
    RawStream,
    Servers,
    percentile,
    stream,
)

pytestmark = pytest.mark.timeout(120)

SYNC_IN_ASYNC = Path(__file__).parents[3] / "service" / "variants" / "sync_client_in_async.py"
FIVE_STREAMS = {"X-Mock-Ttft-Ms": "50", "X-Mock-Itl-Ms": "50", "X-Mock-Tokens": "20"}


@pytest.fixture(scope="module")
def mock(servers: Servers) -> ServerProcess:
    return servers.mock("--on-disconnect", "abort")


async def _five_streams_probed(url: str, probe_s: float) -> tuple[list[RawStream], list[float]]:
    """Five streams under a 50/s /healthz prober; latencies (ms) of the probes due meanwhile."""
    prober = spawn_prober(f"{url}/healthz", 50, probe_s)
    await asyncio.sleep(0.3)  # the prober's interpreter is up and probing before the load
    start_ns = time.perf_counter_ns()
    results = await asyncio.gather(
        *(stream(url, {"prompt": "hello"}, headers=FIVE_STREAMS) for _ in range(5))
    )
    end_ns = time.perf_counter_ns()
    samples = await asyncio.to_thread(collect_prober, prober)
    during = [s for s in samples if start_ns <= s.intended_ns <= end_ns]
    assert all(s.latency_ns is not None for s in during), "a probe got no answer"
    return list(results), [s.latency_ns / 1e6 for s in during if s.latency_ns is not None]


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.mark.parametrize("variant", ["reference", "reference_fast"])
async def test_reference_keeps_the_loop_free(
    servers: Servers, mock: ServerProcess, variant: str
) -> None:
    """5 streams of 20 tokens x 50 ms: /healthz p99 < 100 ms, TTFTs not serialized."""
    service = servers.service(variant, mock.url)
    streams, latencies = await _five_streams_probed(service.url, probe_s=2.0)
    assert all(s.status == 200 and len(s.tokens()) == 20 for s in streams)
    ttfts_s = sorted(s.ttft_ns() / 1e9 for s in streams)
    p99 = percentile(latencies, 99)
    print(f"{variant}: healthz p99 {p99:.1f} ms over {len(latencies)} probes; TTFTs {ttfts_s}")
    assert len(latencies) >= 40  # the streams last ~1 s: ~50 probes due meanwhile
    assert p99 < 100
    assert ttfts_s[-1] - ttfts_s[0] < 0.5


async def test_sync_client_in_async_blocks_and_serializes(
    servers: Servers, mock: ServerProcess
) -> None:
    """The sync client on the loop: /healthz p99 > 500 ms, 5th TTFT > 3 s after the 1st,
    and the stall watchdog names the socket read and the variant's ``for`` line."""
    service = servers.service("sync_client_in_async", mock.url)
    streams, latencies = await _five_streams_probed(service.url, probe_s=3.0)
    assert all(s.status == 200 and len(s.tokens()) == 20 for s in streams)
    ttfts_s = sorted(s.ttft_ns() / 1e9 for s in streams)
    p99 = percentile(latencies, 99)
    print(f"sync_client_in_async: healthz p99 {p99:.1f} ms; TTFTs {ttfts_s}")
    assert p99 > 500
    assert ttfts_s[4] - ttfts_s[0] > 3.0

    async with httpx.AsyncClient() as client:
        stalls: list[dict[str, Any]] = (await client.get(f"{service.url}/debug/stalls")).json()[
            "stalls"
        ]
        metrics = (await client.get(f"{service.url}/metrics")).text
    line = _line_of(SYNC_IN_ASYNC, "for chunk in stream:")
    ours = f"service/variants/sync_client_in_async.py:{line} in events"
    named = [s for s in stalls if s["service_frame"] and s["service_frame"].startswith(ours)]
    assert named, stalls
    print(f"stall {named[0]['duration_ms']} ms at {named[0]['service_frame']}"
          f" <- {named[0]['blocking_call']}")  # fmt: skip
    assert any("recv" in s["blocking_call"] for s in named)
    assert max(s["duration_ms"] for s in named) > 500
    assert f'service_frame="{ours}' in metrics


@pytest.mark.parametrize("variant", ["reference", "reference_fast", "sync_generator"])
async def test_thread_pool_variant_serves_in_waves_of_40(
    servers: Servers, mock: ServerProcess, variant: str
) -> None:
    """60 streams with a 1 s upstream TTFT: the reference answers all at ~1 s; the
    sync generator holds a pool thread per waiting stream, so the 41st waits a wave."""
    service = servers.service(variant, mock.url)
    headers = {"X-Mock-Ttft-Ms": "1000", "X-Mock-Itl-Ms": "10", "X-Mock-Tokens": "3"}
    streams = await asyncio.gather(
        *(stream(service.url, {"prompt": "hi"}, headers=headers) for _ in range(60))
    )
    assert all(s.status == 200 and len(s.tokens()) == 3 for s in streams)
    ttfts_s = sorted(s.ttft_ns() / 1e9 for s in streams)
    print(f"{variant}: TTFT 1st {ttfts_s[0]:.2f} 40th {ttfts_s[39]:.2f} "
          f"41st {ttfts_s[40]:.2f} 60th {ttfts_s[59]:.2f} s")  # fmt: skip
    if variant.startswith("reference"):
        assert ttfts_s[59] < 1.7
    else:
        assert ttfts_s[39] < 1.7
        assert ttfts_s[40] > 1.9
