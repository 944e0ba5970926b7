"""The timer wheel: millisecond slots, served from EARLY_NS before, never a spin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

from mock_llm.scheduler import EARLY_NS, TICK_NS, TimerWheel

MS = 1_000_000


class FakeLoop:
    """Records call_later requests; the test fires them by hand."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.errors: list[dict[str, Any]] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        self.delays.append(delay)
        return cast(asyncio.TimerHandle, _Handle())

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


def wheel_at(now_ns: int) -> tuple[TimerWheel, FakeLoop, Clock]:
    loop, clock = FakeLoop(), Clock(now_ns)
    return TimerWheel(cast(asyncio.AbstractEventLoop, loop), clock=clock), loop, clock


def test_a_token_goes_to_the_slot_of_its_millisecond_and_is_served_early_ns_before() -> None:
    """Deadline 10.3 ms -> slot 11 -> served from 11 ms - EARLY_NS (10.5 ms), not at 10.9 ms."""
    wheel, _, clock = wheel_at(0)
    served: list[int] = []
    wheel.call_at(10 * MS + 300_000, served.append)
    clock.now_ns = 11 * MS - EARLY_NS - 1
    wheel._fire()
    assert served == []
    clock.now_ns = 11 * MS - EARLY_NS
    wheel._fire()
    assert served == [11 * MS - EARLY_NS]
    assert wheel.pending() == 0


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
    wheel, loop, _ = wheel_at(TICK_NS - EARLY_NS - 400_000)
    wheel.call_at(TICK_NS, lambda now: None)  # slot 1, to be served in 0.4 ms
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
    clock.now_ns = 11 * MS - EARLY_NS - 1
    assert not wheel.behind()
    clock.now_ns = 11 * MS - EARLY_NS
    assert wheel.behind()
    wheel._fire()
    assert not wheel.behind()
