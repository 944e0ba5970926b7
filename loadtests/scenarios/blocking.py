"""Scenario ``blocking``: does the service's event loop stall under concurrent streams?

Per variant: ``concurrency`` streams (``tokens`` x ``itl_ms``) while a
separate-process prober GETs ``/healthz`` at a fixed rate (open loop), plus
the service's own stall attribution from ``/debug/stalls`` when it has one.

Verdict per variant:
- ``blocks``: probe p99 > ``block_ms``, or the streams' TTFTs are serialized
  (last TTFT - first TTFT > ``serial_ms``): one stream at a time;
- ``ok``: probe p99 < ``ok_ms`` and no serialization;
- ``inconclusive``: in between (noise or overload: lag alone does not prove
  blocking, docs/behaviours.md#event-loop-lag).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ..client.endpoints import Endpoint, mock_headers
from ..client.marker import Shaping
from ..client.prober import ProbeSample, collect_prober, spawn_prober
from ..client.records import RequestRecord
from ..client.response_shapes import read_record
from ..client.stream_client import stream_request
from ..metrics import summarize
from .result import ScenarioResult

DEFAULTS: dict[str, Any] = {
    "concurrency": 5,
    "tokens": 20,
    "itl_ms": 50.0,
    "ttft_ms": 50.0,
    "probe_rate_per_s": 50.0,
    "ok_ms": 100.0,
    "block_ms": 250.0,
    "serial_ms": 1000.0,
}


def probe_numbers(samples: Sequence[ProbeSample], start_ns: int) -> dict[str, Any]:
    """Latency summary, share over 50 ms, and a (t_s, latency_ms) series. Pure."""
    answered = [s for s in samples if s.latency_ns is not None]
    latencies = [s.latency_ns / 1e6 for s in answered if s.latency_ns is not None]
    return {
        "probes": len(samples),
        "unanswered": len(samples) - len(answered),
        "latency_ms": summarize(latencies),
        "share_over_50ms": (sum(1 for x in latencies if x > 50) / len(latencies))
        if latencies
        else None,
        "series": [
            [(s.intended_ns - start_ns) / 1e9, s.latency_ns / 1e6]
            for s in answered
            if s.latency_ns is not None
        ],
    }


def classify(numbers: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    p99 = numbers["probe"]["latency_ms"]["p99"]
    spread = numbers["ttft_spread_ms"]
    if numbers["probe"]["unanswered"] or (p99 is not None and p99 > settings["block_ms"]):
        return "blocks"
    if spread is not None and spread > settings["serial_ms"]:
        return "blocks"
    if p99 is not None and p99 < settings["ok_ms"]:
        return "ok"
    return "inconclusive"


async def _stalls(base_url: str) -> list[dict[str, Any]]:
    """The service's stall attribution, if it has any (a user's service may not)."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(f"{base_url}/debug/stalls")
        body = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return []
    stalls: list[dict[str, Any]] = body.get("stalls", []) if isinstance(body, dict) else []
    return stalls


async def measure_one(
    endpoint: Endpoint, settings: Mapping[str, Any], shape_upstream: bool
) -> tuple[dict[str, Any], list[RequestRecord]]:
    tag = uuid.uuid4().hex[:8]
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
    ids = [f"blk-{endpoint.name}-{tag}-{i}" for i in range(settings["concurrency"])]
    stream_s = (settings["ttft_ms"] + settings["tokens"] * settings["itl_ms"]) / 1e3
    duration_s = stream_s * 1.5 + 0.5
    loop = asyncio.get_running_loop()
    prober = await loop.run_in_executor(
        None,
        lambda: spawn_prober(
            f"{endpoint.base_url}/healthz", settings["probe_rate_per_s"], duration_s
        ),
    )
    await asyncio.sleep(0.3)  # the prober's interpreter is up and probing an idle service
    start_ns = time.perf_counter_ns()
    records = await asyncio.gather(
        *(
            stream_request(
                endpoint.url,
                endpoint.body(request_id=rid, shaping=shaping, max_tokens=settings["tokens"]),
                request_id=rid,
                scenario="blocking",
                headers=endpoint.headers(headers),
                timeout_s=60,
            )
            for rid in ids
        )
    )
    samples = await loop.run_in_executor(None, collect_prober, prober, 120.0)
    ttfts = []
    for record in records:
        first = read_record(record, endpoint.response).first_token_ns
        if first is not None:
            ttfts.append((first - record.sent_ns) / 1e6)
    ttfts.sort()
    stalls = await _stalls(endpoint.base_url)
    numbers: dict[str, Any] = {
        "probe": probe_numbers(samples, start_ns),
        "ttfts_ms": ttfts,
        "ttft_spread_ms": (ttfts[-1] - ttfts[0]) if len(ttfts) > 1 else None,
        "stream_errors": sum(1 for r in records if r.error),
        "stalls": stalls[:5],
    }
    return numbers, list(records)


async def run_blocking(
    endpoints: Sequence[Endpoint],
    *,
    shape_upstream: bool,
    expected: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ScenarioResult:
    settings = {**DEFAULTS, **overrides}
    result = ScenarioResult(
        name="blocking", settings=settings, numbers={}, verdicts={}, expected=dict(expected or {})
    )
    for endpoint in endpoints:
        numbers, records = await measure_one(endpoint, settings, shape_upstream)
        result.records.extend(records)
        result.numbers[endpoint.name] = numbers
        verdict = classify(numbers, settings)
        result.verdicts[endpoint.name] = verdict
        lat = numbers["probe"]["latency_ms"]
        line = (
            f"{endpoint.name}: /healthz p50 {lat['p50']:.0f} ms, p99 {lat['p99']:.0f} ms, "
            f"max {lat['max']:.0f} ms; TTFTs "
            + ", ".join(f"{t / 1e3:.2f}" for t in numbers["ttfts_ms"])
            + f" s -> {verdict}"
        )
        if numbers["stalls"]:
            top = numbers["stalls"][0]
            line += (
                f"; stall {top.get('duration_ms')} ms in {top.get('blocking_call')} "
                f"from {top.get('service_frame')}"
            )
        result.evidence.append(line)
    return result
