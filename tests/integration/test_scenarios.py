"""The scenarios, as pytest runs them: every variant gets its expected verdict.

Real processes (mock_llm + one uvicorn process per variant), the same
functions ``streamgauge run`` calls, the same expectation table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.client.endpoints import mock_endpoint, service_endpoint
from loadtests.scenarios import expectations
from loadtests.scenarios.blocking import run_blocking
from loadtests.scenarios.disconnect import run_disconnect
from loadtests.scenarios.ttft import run_ttft
from loadtests.systems.environment import ALL_VARIANTS, Environment, embedded

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    with embedded(ALL_VARIANTS, Path(tmp_path_factory.mktemp("scenarios"))) as environment:
        yield environment


async def test_ttft_verdicts(env: Environment) -> None:
    assert env.mock_url is not None
    endpoints = [service_endpoint(v, u) for v, u in env.services.items()]
    result = await run_ttft(
        endpoints,
        direct=mock_endpoint(env.mock_url),
        shape_upstream=True,
        expected=expectations.TTFT,
    )
    assert result.verdicts == expectations.TTFT, result.evidence
    ratio = result.numbers["reference"]["ttft_p50_over_direct"]
    assert ratio < 2.0, result.evidence
    assert result.numbers["sync_client_in_async"]["ttft_ms"]["p50"] > 500


async def test_blocking_verdicts(env: Environment) -> None:
    endpoints = [
        service_endpoint(v, env.services[v]) for v in ("reference", "sync_client_in_async")
    ]
    result = await run_blocking(endpoints, shape_upstream=True)
    assert result.verdicts == {"reference": "ok", "sync_client_in_async": "blocks"}, result.evidence
    bad = result.numbers["sync_client_in_async"]
    assert bad["probe"]["latency_ms"]["p99"] > 500
    assert bad["ttfts_ms"][-1] - bad["ttfts_ms"][0] > 3000
    assert any("sync_client_in_async.py" in str(s.get("service_frame")) for s in bad["stalls"])
    assert result.numbers["reference"]["probe"]["latency_ms"]["p99"] < 100


async def test_disconnect_verdicts(env: Environment) -> None:
    assert env.mock_url is not None
    reference = service_endpoint("reference", env.services["reference"])
    result = await run_disconnect([reference], mock_url=env.mock_url, shape_upstream=True)
    assert result.verdicts == {
        "reference/close_after": "ok",
        "reference/stop_reading": "ok",
        "reference/burst": "ok",
    }, result.evidence
    leakers = [
        service_endpoint(v, env.services[v])
        for v in ("seed_recipe", "break_without_close", "sync_generator")
    ]
    result = await run_disconnect(
        leakers, mock_url=env.mock_url, shape_upstream=True, modes=("stop_reading",)
    )
    assert set(result.verdicts.values()) == {"leaks"}, result.evidence
    assert result.valid, result.invalid_reasons
