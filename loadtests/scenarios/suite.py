"""Run the chosen scenarios, in order, against one environment.

Each scenario starts only once the upstream is quiet: a service that serializes streams
or relays into dead sockets would otherwise still be working through the previous
scenario's load, and the next one would measure that instead of itself. With a known
service process (``--app``) each scenario also records the service's CPU and RSS.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ..client.endpoints import Endpoint, mock_endpoint, service_endpoint
from ..client.response_shapes import read_record
from ..systems import service_usage
from ..systems.environment import Environment
from . import expectations
from .blocking import run_blocking
from .buffering import paths_for, run_buffering
from .disconnect import MODES, run_disconnect
from .result import ScenarioResult
from .ttft import run_ttft

QUIET_TIMEOUT_S = 60.0

Say = Callable[[str], None]


@dataclass(frozen=True)
class SuitePlan:
    """What to run: scenario names, the embedded variants, or one target endpoint."""

    scenarios: Sequence[str]
    variants: Sequence[str] | None = None
    target: Endpoint | None = None


async def active_upstream_streams(mock_url: str) -> int | None:
    """Streams the mock is generating right now; ``None`` if it does not say."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            stats = (await client.get(f"{mock_url}/mock/stats")).json()
    except (httpx.HTTPError, ValueError):
        return None
    active = stats.get("active_streams") if isinstance(stats, dict) else None
    return active if isinstance(active, int) else None


async def wait_until_quiet(mock_url: str, timeout_s: float = QUIET_TIMEOUT_S) -> str | None:
    """Wait for the mock to generate nothing; a sentence if it did not within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    active = await active_upstream_streams(mock_url)
    while active and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        active = await active_upstream_streams(mock_url)
    if active:
        return (
            f"{active} upstream streams still open {timeout_s:.0f} s after the previous "
            "scenario: the service is still working through its load"
        )
    return None


def _endpoints(env: Environment, plan: SuitePlan, scenario: str) -> list[Endpoint]:
    if plan.target is not None:
        return [plan.target]
    wanted = plan.variants or expectations.DEFAULT_VARIANTS[scenario]
    return [service_endpoint(v, env.services[v]) for v in wanted if v in env.services]


def _not_run(name: str, reason: str) -> ScenarioResult:
    return ScenarioResult(
        name=name, settings={}, numbers={}, verdicts={}, valid=False, skipped=reason
    )


def _disconnect_modes(plan: SuitePlan, before: Mapping[str, ScenarioResult]) -> tuple[str, ...]:
    """Every mode, but the burst for a target the blocking scenario found serialized."""
    blocking = before.get("blocking")
    if plan.target is None or blocking is None:
        return MODES
    spread = blocking.numbers.get(plan.target.name, {}).get("ttft_spread_ms")
    if spread is not None and spread > blocking.settings.get("serial_ms", float("inf")):
        return tuple(m for m in MODES if m != "burst")
    return MODES


async def _one(
    env: Environment, plan: SuitePlan, scenario: str, before: Mapping[str, ScenarioResult]
) -> ScenarioResult:
    endpoints = _endpoints(env, plan, scenario)
    names = [e.name for e in endpoints]
    external = env.external_target
    # With a mock upstream the prompt's marker shapes each request (headers too, for a
    # service that forwards them); without one the target's upstream is its own.
    shape = env.forwards_mock_headers or env.mock_url is not None
    if scenario == "ttft":
        direct = mock_endpoint(env.mock_url) if env.mock_url else None
        table = {"target": "ok"} if external else expectations.TTFT
        return await run_ttft(
            endpoints,
            direct=direct,
            shape_upstream=shape,
            expected=expectations.expected_for(table, [*names, "direct_to_mock"]),
        )
    if scenario == "blocking":
        table = {"target": "ok"} if external else expectations.BLOCKING
        return await run_blocking(
            endpoints, shape_upstream=shape, expected=expectations.expected_for(table, names)
        )
    if scenario == "disconnect":
        if env.mock_url is None:
            return _not_run(
                "disconnect",
                "needs --mock: the mock_llm your service streams from "
                "(its ledger is the ground truth)",
            )
        modes = _disconnect_modes(plan, before)
        subjects = [f"{n}/{m}" for n in names for m in modes]
        table = dict.fromkeys(subjects, "ok") if external else expectations.DISCONNECT
        result = await run_disconnect(
            endpoints,
            mock_url=env.mock_url,
            shape_upstream=shape,
            expected=expectations.expected_for(table, subjects),
            modes=modes,
        )
        if len(modes) < len(MODES):
            result.evidence.append(
                "burst not run: the service serializes streams (blocking: first tokens spread "
                "over more than a second), so 100 users would take minutes to get served"
            )
        return result
    urls = {e.name: e.base_url for e in endpoints}
    if plan.target is not None:
        return await run_buffering(
            urls,
            paths=paths_for("target"),
            shape_upstream=shape,
            request_shape=plan.target.request,
            response_shape=plan.target.response,
            stream_path=plan.target.url.removeprefix(plan.target.base_url),
            control_mock_url=env.mock_url,
        )
    return await run_buffering(urls)


def _tokens_relayed(result: ScenarioResult, plan: SuitePlan) -> int:
    if plan.target is None:
        return 0
    shape, base = plan.target.response, plan.target.base_url
    return sum(
        read_record(r, shape).output_tokens for r in result.records if r.target.startswith(base)
    )


def _usage_line(usage: dict[str, Any]) -> str:
    if usage["cpu_s"] is None:
        return "service process: not measurable (the process was gone)"
    per_token = (
        f"{usage['cpu_us_per_token']} µs per relayed token ({usage['tokens']} tokens)"
        if usage["cpu_us_per_token"] is not None
        else "no tokens relayed, so no CPU per token"
    )
    return f"service process: {usage['cpu_s']} s CPU, {per_token}, RSS {usage['rss_mb']} MB"


async def run_suite(env: Environment, plan: SuitePlan, say: Say) -> dict[str, ScenarioResult]:
    """Each scenario in turn, after the previous one's upstream streams have ended."""
    results: dict[str, ScenarioResult] = {}
    for scenario in plan.scenarios:
        if env.mock_url is not None and results:
            busy = await wait_until_quiet(env.mock_url)
            if busy is not None:
                say(f"  [yellow]{busy}[/]")
                results[scenario] = _not_run(scenario, busy)
                continue
        started = time.monotonic()
        say(f"[bold cyan]scenario {scenario}[/] ...")
        before = service_usage.sample(env.service_pid) if env.service_pid else None
        result = await _one(env, plan, scenario, results)
        if env.service_pid:
            after = service_usage.sample(env.service_pid)
            usage: dict[str, Any] = service_usage.usage_numbers(
                before, after, _tokens_relayed(result, plan)
            )
            result.service_process = usage
            result.evidence.append(_usage_line(usage))
        results[scenario] = result
        for line in result.evidence:
            say(f"  {line}")
        if result.skipped:
            say(f"  [yellow]not measured:[/] {result.skipped}")
        say(f"  [dim]{time.monotonic() - started:.1f} s[/]")
    return results
