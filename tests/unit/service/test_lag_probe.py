"""The lag probe reads a blocked loop as lag of about the block's length."""

from __future__ import annotations

import asyncio
import itertools
import time

from service.lag_probe import LagProbe


async def test_a_200_ms_block_reads_as_about_200_ms_of_lag() -> None:
    lags: list[int] = []
    probe = LagProbe(0.005, lags.append)
    task = asyncio.create_task(probe.run())
    await asyncio.sleep(0.05)
    time.sleep(0.2)  # noqa: ASYNC251 - blocking the loop is the point
    await asyncio.sleep(0.05)
    task.cancel()
    assert max(lags) >= 150_000_000
    assert max(lags) < 400_000_000
    assert sorted(lags)[len(lags) // 2] < 20_000_000


async def test_heartbeat_moves_while_the_loop_runs() -> None:
    probe = LagProbe(0.005, lambda _lag: None)
    first = probe.heartbeat_ns()
    task = asyncio.create_task(probe.run())
    await asyncio.sleep(0.03)
    task.cancel()
    assert probe.heartbeat_ns() > first


async def test_lag_is_computed_with_the_injected_clock() -> None:
    """lag = (wake - sleep start) - interval, in the injected clock's nanoseconds."""
    ticks = itertools.chain([0, 1_000, 8_001_000], itertools.count(8_001_000, 5_000_000))
    lags: list[int] = []
    probe = LagProbe(0.005, lags.append, clock=lambda: next(ticks))
    task = asyncio.create_task(probe.run())
    await asyncio.sleep(0.02)
    task.cancel()
    # slept from 1_000 to 8_001_000: 8 ms for a 5 ms interval, 3 ms late; then on time
    assert lags[0] == 3_000_000
    assert set(lags[1:]) <= {0}
