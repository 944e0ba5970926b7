"""Scenario ``ttft``: direct-to-mock vs the reference service vs each variant.

Closed loop, the same upstream shape for every target. Numbers per target:
TTFT / ITL / E2E percentiles (ms) and the overhead over direct-to-mock as a
ratio and in ms, all from one run. Verdict per target:

- ``ok``: every request streamed tokens and TTFT p50 is within
  ``max(slow_abs_ms, slow_ratio x direct p50)`` of direct-to-mock;
- ``slow``: tokens arrive, but TTFT p50 exceeds that budget;
- ``broken``: errors, or no tokens could be read (e.g. unframed text).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..client.endpoints import Endpoint, mock_headers
from ..client.marker import Shaping
from ..client.records import RequestRecord
from ..client.response_shapes import ResponseShape
from ..client.stream_client import stream_request
from ..client.tokens import StreamFormat, tokens_from_record
from ..load.runners import RunResult, run_closed_loop
from ..metrics import itl_ns, request_metrics, summarize
from .result import ScenarioResult

DEFAULTS: dict[str, Any] = {
    "concurrency": 5,
    "requests": 20,
    "ttft_ms": 50.0,
    "itl_ms": 10.0,
    "tokens": 20,
    "slow_abs_ms": 25.0,
    "slow_ratio": 0.25,
    "max_duration_s": 30.0,
}


def target_numbers(
    records: Sequence[RequestRecord], fmt: ResponseShape | StreamFormat
) -> dict[str, Any]:
    """Percentiles of one target's records read with ``fmt`` (pure)."""
    ttft_ms: list[float] = []
    itl_ms: list[float] = []
    e2e_ms: list[float] = []
    errors = 0
    for record in records:
        result = tokens_from_record(record, fmt)
        m = request_metrics(record, result)
        if m.error is not None or m.ttft_ns is None:
            errors += 1
        if m.ttft_ns is not None:
            ttft_ms.append(m.ttft_ns / 1e6)
        if m.e2e_ns is not None:
            e2e_ms.append(m.e2e_ns / 1e6)
        itl_ms.extend(g / 1e6 for g in itl_ns(result.token_arrivals_ns))
    return {
        "requests": len(records),
        "errors": errors,
        "ttft_ms": summarize(ttft_ms),
        "itl_ms": summarize(itl_ms),
        "e2e_ms": summarize(e2e_ms),
        "ttft_first_ms": sorted(ttft_ms),
    }


def verdict(
    numbers: Mapping[str, Any], direct_p50_ms: float | None, settings: Mapping[str, Any]
) -> str:
    p50 = numbers["ttft_ms"]["p50"]
    if numbers["errors"] or p50 is None:
        return "broken"
    if direct_p50_ms is None:
        return "ok"
    budget = max(settings["slow_abs_ms"], settings["slow_ratio"] * direct_p50_ms)
    return "ok" if p50 - direct_p50_ms <= budget else "slow"


async def _run_target(
    endpoint: Endpoint,
    settings: Mapping[str, Any],
    headers: dict[str, str],
    shaping: Shaping | None,
) -> RunResult:
    tag = uuid.uuid4().hex[:8]

    def sender(prefix: str) -> Callable[[int, int | None], Awaitable[RequestRecord]]:
        async def send(index: int, intended_ns: int | None) -> RequestRecord:
            request_id = f"{prefix}-{endpoint.name}-{tag}-{index}"
            return await stream_request(
                endpoint.url,
                endpoint.body(
                    request_id=request_id, shaping=shaping, max_tokens=settings["tokens"]
                ),
                request_id=request_id,
                scenario="ttft",
                headers=endpoint.headers(headers),
                timeout_s=settings["max_duration_s"],
                intended_ns=intended_ns,
            )

        return send

    # Warm-up round, not recorded: the target's upstream connection pool and
    # first-call costs (the SDK's first call stalls 50-110 ms:
    # docs/behaviours.md#sync-client-inside-async-def).
    await run_closed_loop(
        sender("ttft-warm"),
        concurrency=settings["concurrency"],
        total=settings["concurrency"],
        max_duration_s=settings["max_duration_s"],
    )
    return await run_closed_loop(
        sender("ttft"),
        concurrency=settings["concurrency"],
        total=settings["requests"],
        max_duration_s=settings["max_duration_s"],
    )


async def run_ttft(
    endpoints: Sequence[Endpoint],
    *,
    direct: Endpoint | None,
    shape_upstream: bool,
    expected: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ScenarioResult:
    """Measure ``direct`` (if any) then each endpoint, one after the other.

    ``shape_upstream``: send ``X-Mock-*`` headers so the upstream streams the
    configured shape (the embedded services forward them; a user's may not).
    """
    settings = {**DEFAULTS, **overrides}
    headers = (
        mock_headers(settings["ttft_ms"], settings["itl_ms"], settings["tokens"])
        if shape_upstream
        else {}
    )
    shaping = (
        Shaping(ttft_ms=settings["ttft_ms"], itl_ms=settings["itl_ms"], tokens=settings["tokens"])
        if shape_upstream
        else None
    )
    result = ScenarioResult(
        name="ttft", settings=settings, numbers={}, verdicts={}, expected=dict(expected or {})
    )
    ordered = ([direct] if direct is not None else []) + list(endpoints)
    direct_p50: float | None = None
    for endpoint in ordered:
        run = await _run_target(endpoint, settings, headers, shaping)
        numbers = target_numbers(run.records, endpoint.response)
        numbers["client_loop_lag_ms"] = run.loop_lag_ms
        result.records.extend(run.records)
        for reason in run.invalid_reasons:
            result.invalidate(f"{endpoint.name}: {reason}")
        if endpoint is direct:
            direct_p50 = numbers["ttft_ms"]["p50"]
        elif direct_p50 is not None and numbers["ttft_ms"]["p50"] is not None:
            numbers["ttft_p50_over_direct"] = numbers["ttft_ms"]["p50"] / direct_p50
            numbers["ttft_p50_added_ms"] = numbers["ttft_ms"]["p50"] - direct_p50
        result.numbers[endpoint.name] = numbers
        result.verdicts[endpoint.name] = verdict(
            numbers, None if endpoint is direct else direct_p50, settings
        )
        p50 = numbers["ttft_ms"]["p50"]
        result.evidence.append(
            f"{endpoint.name}: TTFT p50 {p50:.1f} ms, p99 {numbers['ttft_ms']['p99']:.1f} ms, "
            f"errors {numbers['errors']}/{numbers['requests']} -> {result.verdicts[endpoint.name]}"
            if p50 is not None
            else f"{endpoint.name}: no token read ({numbers['errors']} errors) -> broken"
        )
    return result
