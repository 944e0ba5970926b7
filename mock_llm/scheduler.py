"""One timer for every stream: a heap of absolute deadlines.

A per-stream coroutine sleeping per token would cost a task wake-up per token;
here one loop timer fires at the earliest deadline and calls every callback
that is due, so the cost per token is a heap push/pop and a socket write.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable

DueCallback = Callable[[int, int], None]
"""``callback(deadline_ns, now_ns)``."""

# uvloop timers have millisecond resolution; treat tokens due within this
# window as due now instead of spinning the loop for a fraction of a millisecond.
EARLY_NS = 200_000


class DeadlineScheduler:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], int] = time.monotonic_ns,
        early_ns: int = EARLY_NS,
    ) -> None:
        self._loop = loop
        self._clock = clock
        self._early_ns = early_ns
        self._heap: list[tuple[int, int, DueCallback]] = []
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for: int | None = None
        self._firing = False

    def __len__(self) -> int:
        return len(self._heap)

    def call_at(self, deadline_ns: int, callback: DueCallback) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (deadline_ns, self._seq, callback))
        if self._firing:
            return  # _fire re-arms once for the earliest deadline when it is done
        if self._armed_for is None or deadline_ns < self._armed_for:
            self._arm(deadline_ns)

    def _arm(self, deadline_ns: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        delay_s = max(0.0, (deadline_ns - self._clock()) / 1e9)
        self._timer = self._loop.call_later(delay_s, self._fire)
        self._armed_for = deadline_ns

    def _fire(self) -> None:
        """Run what is due now, then yield to the loop (reads, accepts, disconnects).

        Only deadlines due when the fire started are served, so a mock that is
        behind still polls its sockets between batches instead of starving them.
        """
        self._timer = None
        self._armed_for = None
        heap = self._heap
        clock = self._clock
        pop = heapq.heappop
        limit = clock() + self._early_ns
        self._firing = True
        try:
            while heap and heap[0][0] <= limit:
                deadline, _, callback = pop(heap)
                callback(deadline, clock())
        finally:
            self._firing = False
        if heap:
            self._arm(heap[0][0])

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._heap.clear()
