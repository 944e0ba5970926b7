"""Scenario ``disconnect``: tokens generated upstream after the end user left.

Truth comes from mock_llm's ledger (in ``abort`` mode: it stops generating as
soon as its client, the service, closes the upstream stream). For every user:
tokens the mock wrote after the user's close time, and how long until the
upstream connection closed. Modes: ``close_after``, ``stop_reading``,
``burst`` (see :mod:`loadtests.client.leaving`).

Verdict per ``variant/mode``: ``ok`` when every user saw <= ``max_tokens_after``
tokens generated after leaving and the upstream closed within
``max_close_ms``; else ``leaks``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from ..client import leaving as leaving_clients
from ..client.endpoints import Endpoint, mock_headers
from ..client.ledger import AfterLeaving, after_leaving, fetch_records
from ..client.marker import Shaping
from ..client.records import RequestRecord
from ..metrics import summarize
from .result import ScenarioResult

MODES: tuple[str, ...] = ("close_after", "stop_reading", "burst")

DEFAULTS: dict[str, Any] = {
    "k": 5,
    # 40 ms gaps: "<= 1 token after leaving" then means "upstream closed within
    # ~40 ms", which 100 simultaneous disconnects can meet on 2 shared cores.
    "tokens": 60,
    "itl_ms": 40.0,
    "ttft_ms": 20.0,
    "burst_users": 100,
    # The burst is about 100 users leaving at once, not about throughput: 100 streams
    # at 100 ms gaps is 1000 tokens/s, which a service on the SDK's own stack (~0.4 ms
    # of CPU per relayed token) serves with half a core to spare, so "<= 1 token after
    # leaving" means "closed within one gap", not "kept up with the load".
    "burst_itl_ms": 100.0,
    "burst_tokens": 30,
    # Mode 2: 64 KiB tokens at 20 ms fill ~3 MB of loopback buffers in about a
    # second; after 2 s of not reading the service is blocked in send().
    "stop_reading_pause_s": 2.0,
    "stop_reading_tokens": 150,
    "stop_reading_itl_ms": 20.0,
    "max_tokens_after": 1,
    "max_close_ms": 100.0,
    "modes": MODES,
    # A service that serves one stream at a time would take 100 x the stream
    # time to work through a burst (and keep the mock busy for minutes).
    "skip": ("sync_client_in_async/burst",),
}


def mode_numbers(leavers: Sequence[AfterLeaving]) -> dict[str, Any]:
    """Aggregate of one variant x mode (pure)."""
    after = [x.tokens_after_leaving for x in leavers]
    saved = [x.savings for x in leavers if x.savings is not None]
    closes = [x.upstream_closed_after_ms for x in leavers if x.upstream_closed_after_ms is not None]
    planned_rest = sum(max(0, x.tokens_planned - x.tokens_before_leaving) for x in leavers)
    return {
        "users": len(leavers),
        "tokens_after_leaving_total": sum(after),
        "tokens_after_leaving_max": max(after) if after else None,
        "savings_pct": 100.0 * (1 - sum(after) / planned_rest) if planned_rest else None,
        "savings_pct_mean_per_user": 100.0 * sum(saved) / len(saved) if saved else None,
        "upstream_closed_after_ms": summarize(closes),
    }


def classify(numbers: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    worst = numbers["tokens_after_leaving_max"]
    close_max = numbers["upstream_closed_after_ms"]["max"]
    if numbers["users"] == 0 or worst is None:
        return "no_data"
    if worst <= settings["max_tokens_after"] and (
        close_max is not None and close_max <= settings["max_close_ms"]
    ):
        return "ok"
    return "leaks"


async def _leave(
    endpoint: Endpoint,
    mode: str,
    settings: Mapping[str, Any],
    headers: dict[str, str],
    shaping: Shaping | None,
) -> list[RequestRecord]:
    tag = f"dc-{endpoint.name}-{mode}-{uuid.uuid4().hex[:8]}"
    k = settings["k"]
    tokens = settings["tokens"]
    if mode == "close_after":
        return [
            await leaving_clients.close_after(
                endpoint, k, tag, headers, shaping=shaping, max_tokens=tokens
            )
        ]
    if mode == "stop_reading":
        long_headers = {
            **headers,
            **mock_headers(
                settings["ttft_ms"],
                settings["stop_reading_itl_ms"],
                settings["stop_reading_tokens"],
            ),
            "x-mock-text-mode": "long",
        }
        long_shaping = Shaping(
            ttft_ms=settings["ttft_ms"],
            itl_ms=settings["stop_reading_itl_ms"],
            tokens=settings["stop_reading_tokens"],
            text_mode="long",
        )
        return [
            await leaving_clients.stop_reading(
                endpoint,
                k,
                tag,
                long_headers,
                settings["stop_reading_pause_s"],
                shaping=long_shaping,
                max_tokens=settings["stop_reading_tokens"],
            )
        ]
    burst_tokens = settings["burst_tokens"]
    burst_headers = {
        **headers,
        **mock_headers(settings["ttft_ms"], settings["burst_itl_ms"], burst_tokens),
    }
    burst_shaping = (
        dataclasses.replace(shaping, itl_ms=settings["burst_itl_ms"], tokens=burst_tokens)
        if shaping is not None
        else None
    )
    return await leaving_clients.burst(
        endpoint,
        users=settings["burst_users"],
        k=k,
        tag=tag,
        headers=burst_headers if headers else {},
        shaping=burst_shaping,
        max_tokens=burst_tokens,
    )


def _settle_s(mode: str, settings: Mapping[str, Any]) -> float:
    """How long a leaking service could go on relaying: the upstream's schedule, plus slack."""
    if mode == "stop_reading":
        rest_s = (
            settings["stop_reading_tokens"] * settings["stop_reading_itl_ms"] / 1e3
            - settings["stop_reading_pause_s"]
        )
        return float(max(0.0, rest_s)) + 0.3
    if mode == "burst":
        return (
            float(settings["ttft_ms"] + settings["burst_tokens"] * settings["burst_itl_ms"]) / 1e3
            + 0.3
        )
    return float(settings["ttft_ms"] + settings["tokens"] * settings["itl_ms"]) / 1e3 + 0.3


def ledger_numbers(
    records: Sequence[RequestRecord], ledger: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """The mode's numbers from its users' records and the mock's ledger entries by id."""
    leavers = []
    missing = failed = 0
    for record in records:
        entry = ledger.get(record.request_id)
        if record.closed_ns is None or record.error:
            failed += 1
        elif entry is None:
            missing += 1  # never reached the upstream before the user left
        else:
            leavers.append(after_leaving(entry, record.closed_ns))
    numbers = mode_numbers(leavers)
    numbers["users_never_sent_upstream"] = missing
    numbers["users_failed"] = failed
    return numbers


def _judge(
    result: ScenarioResult,
    subject: str,
    numbers: dict[str, Any],
    n_users: int,
    settings: Mapping[str, Any],
) -> None:
    verdict = classify(numbers, settings)
    result.numbers[subject] = numbers
    result.verdicts[subject] = verdict
    if n_users and numbers["users_never_sent_upstream"] == n_users:
        result.invalidate(
            f"{subject}: no user's request id reached the mock ledger "
            "(the service forwards neither the prompt, which carries the marker, nor x-request-id)"
        )
    if numbers["users_failed"]:
        result.invalidate(
            f"{subject}: {numbers['users_failed']} users' streams failed before they left"
        )
    closed = numbers["upstream_closed_after_ms"]
    result.evidence.append(
        f"{subject}: {numbers['tokens_after_leaving_total']} tokens generated upstream "
        f"after {numbers['users']} user(s) left (max {numbers['tokens_after_leaving_max']}"
        f" per user), upstream closed after "
        + (f"{closed['max']:.0f} ms max" if closed["max"] is not None else "n/a")
        + f" -> {verdict}"
    )


async def run_disconnect(
    endpoints: Sequence[Endpoint],
    *,
    mock_url: str,
    shape_upstream: bool,
    expected: Mapping[str, str] | None = None,
    **overrides: Any,
) -> ScenarioResult:
    settings = {**DEFAULTS, **overrides}
    result = ScenarioResult(
        name="disconnect", settings=settings, numbers={}, verdicts={}, expected=dict(expected or {})
    )
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
    loop = asyncio.get_running_loop()
    for endpoint in endpoints:
        for mode in settings["modes"]:
            subject = f"{endpoint.name}/{mode}"
            if subject in settings["skip"]:
                continue
            records = await _leave(endpoint, mode, settings, headers, shaping)
            result.records.extend(records)
            # A leaking service relays to the end: let the upstream's schedule run out.
            await asyncio.sleep(_settle_s(mode, settings))
            ledger = {r["id"]: r for r in await loop.run_in_executor(None, fetch_records, mock_url)}
            _judge(result, subject, ledger_numbers(records, ledger), len(records), settings)
    return result
