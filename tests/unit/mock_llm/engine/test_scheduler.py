"""The timer wheel: slots served from half a slot before, never a spin; ticking while busy.

Most tests use 1 ms slots (``wheel_at``): the numbers read as milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from mock_llm.engine.scheduler import EARLY_NS, TICK_NS, TimerWheel

MS = 1_000_000


class FakeLoop:
    """Records call_later and call_soon requests; the test fires them by hand."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.soon: list[Callable[[], None]] = []
        self.errors: list[dict[str, Any]] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        self.delays.append(delay)
        return cast(asyncio.TimerHandle, _Handle())

    def call_soon(self, callback: Callable[[], None]) -> asyncio.Handle:
        self.soon.append(callback)
        return cast(asyncio.Handle, _Handle())

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        self.errors.append(context)


class _Handle:
    def cancel(self) -> None:
        pass


class Clock:
    def __init__(self, now_ns: int) -> None:
        self.now_ns = now_ns

    def __call__(self) -> int:
        return self.now_ns


class RepeatingWakeup:
    """A wake-up that can repeat, recording how it was armed: ``(deadline, period)``."""

    kind = "fake"
    repeats = True

    def __init__(self) -> None:
        self.armed: list[tuple[int, int]] = []
        self.disarmed = 0

    def arm_at(self, deadline_ns: int, period_ns: int = 0) -> None:
        self.armed.append((deadline_ns, period_ns))

    def disarm(self) -> None:
        self.disarmed += 1

    def close(self) -> None:
        pass


def wheel_at(now_ns: int, tick_ns: int = MS) -> tuple[TimerWheel, FakeLoop, Clock]:
    loop, clock = FakeLoop(), Clock(now_ns)
    wheel = TimerWheel(
        cast(asyncio.AbstractEventLoop, loop), clock=clock, tick_ns=tick_ns, early_ns=tick_ns // 2
    )
    return wheel, loop, clock


def ticking_wheel_at(now_ns: int) -> tuple[TimerWheel, RepeatingWakeup, FakeLoop, Clock]:
    wheel, loop, clock = wheel_at(now_ns)
    wakeup = RepeatingWakeup()
    wheel._wakeup = wakeup
    return wheel, wakeup, loop, clock


def test_a_token_goes_to_the_slot_of_its_millisecond_and_is_served_early_ns_before() -> None:
    """Deadline 10.3 ms -> slot 11 -> served from 11 ms - 0.5 ms (10.5 ms), not at 10.9 ms."""
    wheel, _, clock = wheel_at(0)
    served: list[int] = []
    wheel.call_at(10 * MS + 300_000, served.append)
    clock.now_ns = 11 * MS - MS // 2 - 1
    wheel._fire()
    assert served == []
    clock.now_ns = 11 * MS - MS // 2
    wheel._fire()
    assert served == [11 * MS - MS // 2]
    assert wheel.pending() == 0


def test_by_default_slots_are_half_a_millisecond_served_a_quarter_early() -> None:
    """Deadline 10.3 ms -> slot 21 of 0.5 ms (10.0-10.5 ms) -> served from 10.25 ms."""
    assert (TICK_NS, EARLY_NS) == (500_000, 250_000)
    loop, clock = FakeLoop(), Clock(0)
    wheel = TimerWheel(cast(asyncio.AbstractEventLoop, loop), clock=clock)
    served: list[int] = []
    wheel.call_at(10 * MS + 300_000, served.append)
    clock.now_ns = 10 * MS + 250_000 - 1
    wheel._fire()
    assert served == []
    clock.now_ns = 10 * MS + 250_000
    wheel._fire()
    assert served == [10 * MS + 250_000]


def test_slots_are_served_in_order_and_only_those_due() -> None:
    wheel, _, clock = wheel_at(0)
    order: list[str] = []
    wheel.call_at(5 * MS, lambda now: order.append("b"))
    wheel.call_at(2 * MS, lambda now: order.append("a"))
    wheel.call_at(2 * MS - 1, lambda now: order.append("a2"))
    wheel.call_at(9 * MS, lambda now: order.append("c"))
    clock.now_ns = 5 * MS
    wheel._fire()
    assert order == ["a", "a2", "b"]
    assert wheel.pending() == 1


def test_timers_are_armed_in_whole_milliseconds() -> None:
    """uvloop rounds 0.4 ms to 0 (fires at once, finds nothing, re-arms: a spin): round up."""
    wheel, loop, _ = wheel_at(MS - MS // 2 - 400_000)
    wheel.call_at(MS, lambda now: None)  # slot 1, to be served in 0.4 ms
    assert loop.delays == [0.001]
    wheel.call_at(0, lambda now: None)  # already due: fire at once
    assert loop.delays[-1] == 0.0


def test_a_callback_may_schedule_into_a_slot_already_due() -> None:
    """A stream catching up lands in a due slot; the same fire serves it."""
    wheel, _, clock = wheel_at(0)
    served: list[str] = []

    def first(now: int) -> None:
        served.append("first")
        wheel.call_at(now - MS, lambda n: served.append("again"))

    wheel.call_at(MS, first)
    clock.now_ns = 3 * MS
    wheel._fire()
    assert served == ["first", "again"]


def test_a_failing_callback_does_not_drop_its_slot_mates() -> None:
    wheel, loop, clock = wheel_at(0)
    served: list[int] = []

    def broken(now: int) -> None:
        raise RuntimeError("bug")

    wheel.call_at(MS, broken)
    wheel.call_at(MS, served.append)
    clock.now_ns = MS
    wheel._fire()
    assert served == [MS]
    assert len(loop.errors) == 1


def test_behind_means_a_slot_is_due_to_be_served() -> None:
    """Empty: never behind. A token due at 10.3 ms: behind from 10.5 ms (its slot's start) on."""
    wheel, _, clock = wheel_at(0)
    assert not wheel.behind()
    wheel.call_at(10 * MS + 300_000, lambda now: None)
    clock.now_ns = 11 * MS - MS // 2 - 1
    assert not wheel.behind()
    clock.now_ns = 11 * MS - MS // 2
    assert wheel.behind()
    wheel._fire()
    assert not wheel.behind()


def test_the_loop_timer_is_re_armed_after_every_slot_it_never_repeats() -> None:
    wheel, loop, clock = wheel_at(0)
    for slot in (1, 2, 3):
        wheel.call_at(slot * MS, lambda now: None)
    for slot in (1, 2):
        clock.now_ns = slot * MS - MS // 2
        wheel._fire()
    assert loop.delays == [0.001, 0.001, 0.001]  # one call_later per slot


def test_busy_slot_after_slot_the_wake_up_ticks_instead_of_being_re_armed() -> None:
    """Armed once for slot 1; from its fire on it repeats on the slots' grid; disarmed when
    the wheel is empty."""
    wheel, wakeup, _, clock = ticking_wheel_at(0)
    served: list[int] = []
    for slot in (1, 2, 3, 4):
        wheel.call_at(slot * MS - 100_000, served.append)
    assert wakeup.armed == [(MS // 2, 0)]
    for slot in (1, 2, 3, 4):
        clock.now_ns = slot * MS - MS // 2 + 20_000  # each fire a little late
        wheel._fire()
    assert len(served) == 4
    assert wakeup.armed == [(MS // 2, 0), (2 * MS - MS // 2, MS)]
    assert wakeup.disarmed == 1


def test_ticking_stops_at_the_first_empty_slot_and_restarts_on_the_grid() -> None:
    """An empty tick costs a wake-up and a timerfd read: a gap goes back to one-shot."""
    wheel, wakeup, _, clock = ticking_wheel_at(0)
    for slot in (1, 2, 4, 5):
        wheel.call_at(slot * MS, lambda now: None)
    clock.now_ns = MS // 2
    wheel._fire()  # slot 1; slot 2 next: tick
    clock.now_ns = 2 * MS - MS // 2
    wheel._fire()  # slot 2; slot 3 empty: one-shot for slot 4
    clock.now_ns = 4 * MS - MS // 2
    wheel._fire()  # slot 4; slot 5 next: tick again, from slot 5
    assert wakeup.armed == [
        (MS // 2, 0),
        (2 * MS - MS // 2, MS),
        (4 * MS - MS // 2, 0),
        (5 * MS - MS // 2, MS),
    ]
    assert wakeup.disarmed == 0


def test_a_slot_added_before_the_armed_one_is_not_skipped() -> None:
    """Slot 1 served, slot 3 armed one-shot; slot 2 added later re-arms for slot 2.

    (Found by review: ticking used to start at slot 3 over an empty slot 2, and a
    slot 2 added afterwards waited for slot 3's tick.)
    """
    wheel, wakeup, _, clock = ticking_wheel_at(0)
    served: list[int] = []
    wheel.call_at(MS, served.append)
    wheel.call_at(3 * MS, served.append)
    clock.now_ns = MS // 2
    wheel._fire()
    clock.now_ns = MS // 2 + 100_000
    wheel.call_at(2 * MS, served.append)
    assert wakeup.armed[-1] == (2 * MS - MS // 2, 0)


def test_after_close_nothing_fires_or_arms() -> None:
    """A fire queued by call_soon before close() finds a closed wheel and does nothing."""
    wheel, wakeup, loop, clock = ticking_wheel_at(0)
    served: list[int] = []
    for slot in (1, 2, 3):
        wheel.call_at(slot * MS, served.append)
    clock.now_ns = MS // 2
    wheel._fire()  # ticking now
    clock.now_ns = MS
    wheel.call_at(MS, served.append)  # due: queues a fire
    armed = list(wakeup.armed)
    wheel.close()
    loop.soon.pop()()
    wheel.call_at(5 * MS, served.append)
    assert served == [MS // 2]
    assert wakeup.armed == armed
    assert wakeup.disarmed == 0
    assert loop.soon == []


def test_while_ticking_a_token_already_due_is_served_within_a_loop_turn() -> None:
    """The next tick could be a slot away: a slot whose time has passed fires soon instead;
    a future one waits for its tick, with no syscall."""
    wheel, wakeup, loop, clock = ticking_wheel_at(0)
    served: list[str] = []
    for slot in (1, 2, 3):
        wheel.call_at(slot * MS, lambda now: served.append("stream"))
    clock.now_ns = MS // 2
    wheel._fire()
    armed = list(wakeup.armed)
    clock.now_ns = MS  # between ticks
    wheel.call_at(5 * MS, lambda now: served.append("future"))
    assert loop.soon == []
    wheel.call_at(MS, lambda now: served.append("due now"))  # slot 1: its time has passed
    wheel.call_at(MS - 1, lambda now: served.append("due now too"))
    assert loop.soon == [wheel._fire]  # once
    loop.soon.pop()()
    assert served == ["stream", "due now", "due now too"]
    assert wakeup.armed == armed  # still ticking: no re-arm
