"""One timer for every stream: a wheel of half-millisecond slots.

A per-stream coroutine sleeping per token would cost a task wake-up per token,
and a heap of every pending token costs a push and a pop of compared tuples.
Here a callback goes into the slot its deadline falls in (a dict lookup and a
list append), and one wake-up fires per occupied slot. A small heap holds slot
numbers, one entry per slot, to find the next one.

A token due at ``d`` sits in slot ``ceil(d / TICK_NS)``; slot ``k`` is served
from ``k * TICK_NS - EARLY_NS`` on, so a token is written between ``EARLY_NS``
early and ``TICK_NS - EARLY_NS`` late, plus whatever the loop adds. Half a
tick each way: rounding to the nearest slot, not up, so the error averages
zero instead of half a tick late.

Why half a millisecond: a closed-loop client sends its next request right
after the last token of the previous one, which the wheel wrote in a slot, so
new streams start (and every later deadline falls) a few hundred microseconds
after a slot is served, near the far end of their slot's window. At 1000 paced
streams per-token lateness p50 is 0.54 ms with 1 ms slots and 0.26 ms with
0.5 ms slots (``python -m tests.bench.mock_throughput``; CHANGELOG.md,
"half-millisecond slots").

The wake-up is a timerfd where there is one (mock_llm/engine/wakeup.py): the loop's
own timers fire on millisecond boundaries, up to a millisecond after the slot.
While slot after slot is occupied (a busy mock) the timerfd repeats every tick
instead of being re-armed after each slot; at the first empty tick it goes
back to one-shot wake-ups, so an idle or lightly loaded mock does not wake for
nothing.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable

from .wakeup import WakeupKind, make_wakeup

DueCallback = Callable[[int], None]
"""``callback(now_ns)``: the callback knows its own deadline."""

TICK_NS = 500_000
EARLY_NS = TICK_NS // 2


class TimerWheel:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], int] = time.monotonic_ns,
        tick_ns: int = TICK_NS,
        early_ns: int = EARLY_NS,
        wakeup: WakeupKind = "auto",
    ) -> None:
        self._loop = loop
        self._clock = clock
        self._tick_ns = tick_ns
        self._early_ns = early_ns
        self._slots: dict[int, list[DueCallback]] = {}
        self._slot_heap: list[int] = []
        # A timerfd reads the real monotonic clock: with any other clock
        # (tests), only the loop's timer agrees with it.
        kind: WakeupKind = wakeup if clock is time.monotonic_ns else "loop"
        self._wakeup = make_wakeup(kind, loop, self._fire, clock)
        # One-shot: the slot the wake-up is armed for. Ticking: the wake-up
        # repeats at every slot's serving time, occupied or not.
        self._armed_for: int | None = None
        self._ticking = False
        self._fire_soon_pending = False
        self._firing = False
        self._closed = False

    @property
    def wakeup_kind(self) -> str:
        """``timerfd`` or ``loop``: what wakes the wheel (reported in /mock/stats)."""
        return self._wakeup.kind

    def pending(self) -> int:
        """Callbacks waiting (finished streams still sitting in a slot included)."""
        return sum(len(callbacks) for callbacks in self._slots.values())

    def behind(self) -> bool:
        """Whether a slot is due to be served now: the wheel has work waiting."""
        heap = self._slot_heap
        return bool(heap) and heap[0] * self._tick_ns - self._early_ns <= self._clock()

    def call_at(self, deadline_ns: int, callback: DueCallback) -> None:
        if self._closed:
            return
        slot = -(-deadline_ns // self._tick_ns)
        callbacks = self._slots.get(slot)
        if callbacks is not None:
            callbacks.append(callback)  # the common case: the slot is already armed
            return
        self._slots[slot] = [callback]
        heapq.heappush(self._slot_heap, slot)
        if self._firing:
            return  # _fire arranges the next wake-up when it is done
        if self._ticking:
            # The next tick serves it, unless its time has passed already
            # (a token due now): then a loop turn, not a tick, away.
            if slot * self._tick_ns - self._early_ns <= self._clock():
                self._fire_soon()
            return
        if self._armed_for is None or slot < self._armed_for:
            self._arm(slot)

    def _arm(self, slot: int) -> None:
        self._wakeup.arm_at(slot * self._tick_ns - self._early_ns)
        self._armed_for = slot

    def _fire_soon(self) -> None:
        if not self._fire_soon_pending:
            self._fire_soon_pending = True
            self._loop.call_soon(self._fire)

    def _next_wakeup(self) -> None:
        """After a fire: tick on while the next slot is the next tick's (or already due).

        Only adjacent slots: an empty tick costs a wake-up and the timerfd
        read that restarts it, more than the re-arm it saves.
        """
        heap = self._slot_heap
        if not heap:
            if self._ticking:
                self._wakeup.disarm()
                self._ticking = False
            return
        slot = heap[0]
        next_tick = (self._clock() + self._early_ns) // self._tick_ns + 1
        if self._wakeup.repeats and slot <= next_tick:
            if not self._ticking:
                # On the slots' grid: the k-th expiry is slot k's serving time.
                # Starting at the next slot (or one already due) leaves no grid
                # point after now without an expiry.
                self._wakeup.arm_at(slot * self._tick_ns - self._early_ns, self._tick_ns)
                self._ticking = True
            return
        self._ticking = False
        self._arm(slot)

    def _fire(self) -> None:
        """Serve every slot due now, then yield to the loop (reads, accepts, disconnects).

        Only slots due when the fire started are served, so a mock that is
        behind still polls its sockets between rounds instead of starving them.
        Each callback gets a fresh clock reading: the ledger records when a
        token was really written, not when its round began.
        """
        if self._closed:
            return
        self._armed_for = None
        self._fire_soon_pending = False
        clock = self._clock
        slots = self._slots
        heap = self._slot_heap
        pop = heapq.heappop
        last_due = (clock() + self._early_ns) // self._tick_ns
        self._firing = True
        try:
            while heap and heap[0] <= last_due:
                for callback in slots.pop(pop(heap)):
                    try:
                        callback(clock())
                    except Exception as exc:  # one broken stream must not drop its slot-mates
                        self._loop.call_exception_handler(
                            {"message": "mock_llm: stream callback failed", "exception": exc}
                        )
        finally:
            self._firing = False
        self._next_wakeup()

    def close(self) -> None:
        """Stop for good: later call_at and fires (one may be queued by call_soon) do nothing."""
        self._closed = True
        self._ticking = False
        self._wakeup.close()
        self._slots.clear()
        self._slot_heap.clear()
