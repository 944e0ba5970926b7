"""The watchdog names what the loop thread was doing during a stall."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Sequence

from service.lag_probe import LagProbe
from service.stall_watchdog import StallRecord, StallWatchdog, summarize_stack


def _blocking_here() -> None:
    time.sleep(0.3)


def test_stall_is_recorded_with_the_blocking_frame() -> None:
    beat = [time.perf_counter_ns()]
    seen: list[Sequence[StallRecord]] = []
    watchdog = StallWatchdog(
        lambda: beat[0], threshold_s=0.1, probe_interval_s=0.005, keep=3, on_stall=seen.append
    )
    watchdog.start()  # this thread plays the loop thread
    try:
        beat[0] = time.perf_counter_ns()
        _blocking_here()
        beat[0] = time.perf_counter_ns()
        time.sleep(0.1)
    finally:
        watchdog.stop()
    stalls = watchdog.stalls()
    assert len(stalls) == 1
    stall = stalls[0]
    assert 250_000_000 < stall.duration_ns < 600_000_000
    assert stall.sampled_after_ns >= 100_000_000
    assert "in _blocking_here: time.sleep(0.3)" in stall.blocking_call
    assert stall.service_frame is None  # nothing of service/ on this stack
    assert seen
    assert seen[-1][0] == stall


async def test_summarize_stack_finds_the_innermost_service_frame() -> None:
    """Seen from a callback of service code: the callback is innermost, ours next."""
    summaries: list[tuple[str, str | None, tuple[str, ...]]] = []

    def on_lag(_lag: int) -> None:
        summaries.append(summarize_stack(sys._getframe(0)))

    task = asyncio.create_task(LagProbe(0.001, on_lag).run())
    await asyncio.sleep(0.02)
    task.cancel()
    blocking, service_frame, stack = summaries[0]
    assert "in on_lag:" in blocking
    assert blocking == stack[0]
    assert service_frame is not None
    assert service_frame.startswith("service/lag_probe.py:")
    assert "in _tick: on_lag(" in service_frame


def test_no_stall_no_record() -> None:
    stop = threading.Event()
    watchdog = StallWatchdog(
        time.perf_counter_ns, threshold_s=0.05, probe_interval_s=0.005, keep=3,
        on_stall=lambda _s: None,
    )  # fmt: skip
    watchdog.start()
    stop.wait(0.15)
    watchdog.stop()
    assert watchdog.stalls() == []
