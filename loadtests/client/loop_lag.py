"""Event-loop lag of the measuring process itself (self-calibration).

A sleep loop timed with ``perf_counter_ns`` (not ``loop.time()``: uvloop's
advances in 1 ms steps, docs/behaviours.md#event-loop-lag). Lag = how late each wake-up was. A
whose own loop lags cannot time arrivals; its results are marked invalid.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from ..metrics import summarize


@dataclass
class LoopLagProbe:
    interval_ms: float = 5.0
    samples_ns: list[int] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        interval_ns = int(self.interval_ms * 1e6)
        interval_s = self.interval_ms / 1e3
        clock = time.perf_counter_ns
        while True:
            before = clock()
            await asyncio.sleep(interval_s)
            self.samples_ns.append(max(0, clock() - before - interval_ns))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def summary_ms(self) -> dict[str, float | None]:
        return summarize([s / 1e6 for s in self.samples_ns])


def lag_verdict(summary_ms: dict[str, float | None], threshold_p99_ms: float) -> str | None:
    """A reason to distrust the run, or None. Pure: ``{"p99": 12.0}``, 10 -> reason."""
    p99 = summary_ms.get("p99")
    if p99 is None:
        return None
    if float(p99) > threshold_p99_ms:
        return (
            f"load generator event-loop lag p99 {float(p99):.1f} ms > {threshold_p99_ms:g} ms: "
            "the client was saturated, latencies would be inflated by the client itself"
        )
    return None
