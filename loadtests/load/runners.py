"""Closed-loop and open-loop runners, bounded in count and time, self-calibrating.

Both take a ``send(index, intended_ns) -> RequestRecord`` coroutine factory
(the scenario decides what a request is) and return the records plus the
runner's own event-loop lag. A run whose client lagged is marked invalid:
inflated latency from a saturated client must never be reported as the
server's.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from ..client.loop_lag import LoopLagProbe, lag_verdict
from ..client.records import RequestRecord

Send = Callable[[int, int | None], Awaitable[RequestRecord]]
"""``send(index, intended_ns)``: one request, recorded; never raises for HTTP errors."""

Arrival = Literal["constant", "poisson"]


@dataclass
class RunResult:
    records: list[RequestRecord]
    started_ns: int
    ended_ns: int
    loop_lag_ms: dict[str, float | None]
    invalid_reasons: list[str] = field(default_factory=list)
    stopped_by_time: bool = False

    @property
    def valid(self) -> bool:
        return not self.invalid_reasons

    @property
    def duration_s(self) -> float:
        return (self.ended_ns - self.started_ns) / 1e9

    def schedule_lag_ms(self) -> list[float]:
        """Open loop: actual send minus intended send, per request."""
        return [
            (r.sent_ns - r.intended_ns) / 1e6 for r in self.records if r.intended_ns is not None
        ]


def arrival_offsets_ns(
    count: int, rate_per_s: float, arrival: Arrival, rng: random.Random
) -> list[int]:
    """Intended send times relative to the start. Pure and seeded.

    ``constant``: ``i / rate``. ``poisson``: cumulative exponential gaps with
    mean ``1 / rate`` (the first request at 0).
    """
    if rate_per_s <= 0:
        raise ValueError("rate must be positive")
    if arrival == "constant":
        return [round(i * 1e9 / rate_per_s) for i in range(count)]
    offsets, t = [], 0.0
    for i in range(count):
        if i:
            t += rng.expovariate(rate_per_s)
        offsets.append(round(t * 1e9))
    return offsets


async def _finish(
    probe: LoopLagProbe,
    records: list[RequestRecord],
    started: int,
    lag_threshold_ms: float,
    stopped_by_time: bool,
) -> RunResult:
    await probe.stop()
    lag = probe.summary_ms()
    result = RunResult(
        records, started, time.perf_counter_ns(), lag, stopped_by_time=stopped_by_time
    )
    reason = lag_verdict(lag, lag_threshold_ms)
    if reason is not None:
        result.invalid_reasons.append(reason)
    return result


async def run_closed_loop(
    send: Send,
    *,
    concurrency: int,
    total: int,
    max_duration_s: float,
    lag_threshold_ms: float = 10.0,
) -> RunResult:
    """``concurrency`` workers, each sending its next request when the last one ends.

    Stops after ``total`` requests or ``max_duration_s`` (in-flight requests are
    cancelled then; their records are dropped and the result says so).
    """
    if concurrency < 1 or total < 1:
        raise ValueError("concurrency and total must be >= 1")
    probe = LoopLagProbe()
    probe.start()
    started = time.perf_counter_ns()
    records: list[RequestRecord] = []
    counter = iter(range(total))

    async def worker() -> None:
        for index in counter:
            record = await send(index, None)
            records.append(record)

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, total))]
    done, pending = await asyncio.wait(workers, timeout=max_duration_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in send() must surface, not vanish
    return await _finish(probe, records, started, lag_threshold_ms, stopped_by_time=bool(pending))


async def run_open_loop(
    send: Send,
    *,
    rate_per_s: float,
    total: int,
    max_duration_s: float,
    arrival: Arrival = "constant",
    seed: int = 0,
    lag_threshold_ms: float = 10.0,
    max_in_flight: int = 10_000,
) -> RunResult:
    """Send at intended times regardless of responses; record each intended time.

    Bounded by ``total`` and ``max_duration_s``; ``max_in_flight`` caps the
    requests outstanding at once (a safety net against an unresponsive target).
    """
    offsets = arrival_offsets_ns(total, rate_per_s, arrival, random.Random(seed))
    probe = LoopLagProbe()
    probe.start()
    started = time.perf_counter_ns()
    deadline = started + int(max_duration_s * 1e9)
    gate = asyncio.Semaphore(max_in_flight)
    records: list[RequestRecord] = []

    async def one(index: int, intended: int) -> None:
        async with gate:
            records.append(await send(index, intended))

    tasks: list[asyncio.Task[None]] = []
    for index, offset in enumerate(offsets):
        intended = started + offset
        if intended >= deadline:
            break
        delay = (intended - time.perf_counter_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, intended)))
    remaining = max(0.0, (deadline - time.perf_counter_ns()) / 1e9)
    done, pending = await asyncio.wait(tasks, timeout=remaining) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()
    return await _finish(probe, records, started, lag_threshold_ms, stopped_by_time=bool(pending))
