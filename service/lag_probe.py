"""In-process event-loop lag probe: a sleep loop timed with ``perf_counter_ns``.

``lag = (wake time - sleep start) - interval``. ``loop.time()`` is not used:
uvloop's advances in 1 ms steps (docs/behaviours.md#event-loop-lag). Every
wake is also a heartbeat the stall watchdog thread reads; a heartbeat older
than the stall threshold means the loop thread is stuck.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

Clock = Callable[[], int]


class LagProbe:
    """Run :meth:`run` as a task; read :attr:`last_tick_ns` from any thread."""

    def __init__(
        self,
        interval_s: float,
        on_lag: Callable[[int], None],
        clock: Clock = time.perf_counter_ns,
    ) -> None:
        self.interval_s = interval_s
        self._interval_ns = round(interval_s * 1e9)
        self._on_lag = on_lag
        self._clock = clock
        # An int attribute: a plain store/load, safe to read from the watchdog thread.
        self.last_tick_ns = clock()

    def heartbeat_ns(self) -> int:
        return self.last_tick_ns

    async def run(self) -> None:
        """Tick until cancelled.

        Each tick is a ``call_later`` callback rather than an ``asyncio.sleep``
        in a loop: no future and no task step per tick, and at idle every tick
        wakes a sleeping process.
        """
        loop = asyncio.get_running_loop()
        clock = self._clock
        interval_s = self.interval_s
        interval_ns = self._interval_ns
        on_lag = self._on_lag
        handle: asyncio.TimerHandle
        before: int

        def _tick() -> None:
            nonlocal handle, before
            after = clock()
            self.last_tick_ns = after
            on_lag(max(0, after - before - interval_ns))
            before = clock()
            handle = loop.call_later(interval_s, _tick)

        before = clock()
        self.last_tick_ns = before
        handle = loop.call_later(interval_s, _tick)
        try:
            await loop.create_future()  # never completes: runs until cancelled
        finally:
            handle.cancel()
