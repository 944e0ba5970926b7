"""The Locust suite's users against real servers, in Locust subprocesses of a few seconds.

One mock_llm and two services (``reference``, ``sync_client_in_async``) for the module;
each test shapes the upstream per request with ``X-Mock-*`` headers (``--mock-*``),
which the services forward. Runs against the two services go in parallel.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.systems.environment import Environment, embedded
from tests.integration.load.locust_support import LocustResult, locust_job, run_locust

VARIANTS = ("reference", "sync_client_in_async")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    log_dir = tmp_path_factory.mktemp("locust-servers")
    with embedded(VARIANTS, log_dir, ["--ttft-ms", "50", "--itl-ms", "20", "--tokens", "20"]) as e:
        yield e


def _both(
    env: Environment, tmp_path: Path, classes: list[str], *args: str, users: int, run_time_s: float
) -> dict[str, LocustResult]:
    """The same Locust run against both variants at once."""
    with (
        locust_job(tmp_path / VARIANTS[0], env.services[VARIANTS[0]], classes, *args,
                   users=users, run_time_s=run_time_s) as first,
        locust_job(tmp_path / VARIANTS[1], env.services[VARIANTS[1]], classes, *args,
                   users=users, run_time_s=run_time_s) as second,
    ):  # fmt: skip
        return {VARIANTS[0]: first.result(), VARIANTS[1]: second.result()}


def test_ttft_events_match_the_upstream_ttft(env: Environment, tmp_path: Path) -> None:
    """TTFT rows exist and sit just above the mock's 150 ms; ITL near its 10 ms; no batching.

    The mock's own default is 50 ms: 150 ms can only come from the forwarded header.
    """
    result = run_locust(
        tmp_path, env.services["reference"], ["StreamingUser"],
        "--mock-ttft-ms", "150", "--mock-itl-ms", "10", "--mock-tokens", "10",
        users=3, run_time_s=5,
    )  # fmt: skip
    stream = result.entry("POST", "stream")
    assert stream.num_requests >= 10
    assert stream.num_failures == 0
    ttft = result.entry("SSE", "TTFT")
    assert ttft.num_requests == stream.num_requests
    assert ttft.min_ms is not None
    assert ttft.min_ms >= 150  # never before the upstream's first token
    assert (ttft.percentile(0.5) or 0) <= 150 + 60  # service + client overhead, 10 ms buckets
    itl = result.entry("SSE", "ITL")
    assert itl.num_requests == 9 * stream.num_requests  # pooled: one sample per gap
    assert 8 <= (itl.percentile(0.5) or 0) <= 14
    tokens = result.entry("SSE", "tokens")
    assert tokens.percentile(0.5) == 10
    assert tokens.total_content_length == 10 * stream.num_requests
    per_read = result.entry("SSE", "events per read")
    assert per_read.num_failures == 0  # no stream judged buffered
    assert (per_read.avg_ms or 0) <= 1.2  # about one read per event: no batching
    e2e = result.entry("SSE", "E2E")
    assert (e2e.min_ms or 0) >= 150 + 9 * 10
    assert result.entry("SSE", "TTFB").num_requests == stream.num_requests
    rows = {(r.method, r.name) for r in result.history}
    assert {("SSE", "TTFT"), ("SSE", "ITL"), ("GENERATOR", "loop lag")} <= rows
    assert result.exit_code == 0


def test_probe_sees_the_blocked_loop_and_the_slo_sets_the_exit_code(
    env: Environment, tmp_path: Path
) -> None:
    """Through sync_client_in_async the /healthz probe's p95 is far above the reference's,
    its serialized TTFTs miss the SLO (exit code 1) while the reference meets it (0)."""
    results = _both(
        env, tmp_path, ["StreamingUser", "HealthProbeUser"],
        "--probe-rate", "20", "--slo-ttft-p95-ms", "400",
        "--mock-ttft-ms", "50", "--mock-itl-ms", "25", "--mock-tokens", "20",
        users=4, run_time_s=6,
    )  # fmt: skip
    ref, sync = results["reference"], results["sync_client_in_async"]
    ref_p95 = ref.entry("GET", "healthz").percentile(0.95)
    sync_p95 = sync.entry("GET", "healthz").percentile(0.95)
    assert ref_p95 is not None
    assert sync_p95 is not None
    assert ref_p95 < 100
    assert sync_p95 > 300
    assert sync_p95 > 5 * ref_p95
    assert ref.exit_code == 0, ref.log[-3000:]
    assert sync.exit_code == 1
    assert "SLO missed: TTFT p95" in sync.log


def test_disconnecting_user_reports_tokens_generated_after_leaving(
    env: Environment, tmp_path: Path
) -> None:
    """The mock's ledger: the reference stops the upstream when the user leaves (<= 1 token
    later); sync_client_in_async relays to the end into the closed socket."""
    assert env.mock_url is not None
    results = _both(
        env, tmp_path, ["DisconnectingUser"],
        "--leave-after", "3", "--ledger-url", env.mock_url,
        "--mock-ttft-ms", "20", "--mock-itl-ms", "20", "--mock-tokens", "40",
        users=2, run_time_s=5,
    )  # fmt: skip
    ref = results["reference"].entry("LEDGER", "tokens after leaving")
    sync = results["sync_client_in_async"].entry("LEDGER", "tokens after leaving")
    assert ref.num_failures == 0
    assert sync.num_failures == 0
    assert ref.num_requests >= 5
    assert ref.max_ms <= 1
    assert sync.num_requests >= 1
    assert (sync.percentile(0.5) or 0) >= 20  # of the 37 left to generate
    left = results["reference"].entry("POST", "stream (leaves early)")
    assert left.num_failures == 0
