"""Wake-ups for the timer wheel: a timerfd fires at its nanosecond deadline, never before."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest
import uvloop

from mock_llm.engine.scheduler import TimerWheel
from mock_llm.engine.wakeup import LoopWakeup, TimerFdWakeup, _LibcTimerFd, make_wakeup

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux")


def run(coro_fn):  # type: ignore[no-untyped-def]
    return uvloop.run(coro_fn())


@linux_only
def test_a_timerfd_fires_once_at_its_deadline_and_not_before() -> None:
    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        fired: list[int] = []
        done = asyncio.Event()
        wakeup = TimerFdWakeup(loop, lambda: (fired.append(time.monotonic_ns()), done.set()))
        deadline = time.monotonic_ns() + 2_300_000  # 2.3 ms: not on a millisecond boundary
        wakeup.arm_at(deadline)
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.sleep(0.02)  # a second fire would land here
        wakeup.close()
        return [t - deadline for t in fired]

    late = run(main)
    assert len(late) == 1
    assert 0 <= late[0] < 50_000_000  # generous: a shared, noisy machine


@linux_only
def test_re_arming_replaces_the_deadline_and_a_past_one_fires_at_once() -> None:
    async def main() -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        count = 0
        done = asyncio.Event()

        def fire() -> None:
            nonlocal count
            count += 1
            done.set()

        wakeup = TimerFdWakeup(loop, fire)
        wakeup.arm_at(time.monotonic_ns() + 10_000_000_000)  # 10 s away...
        start = time.monotonic()
        wakeup.arm_at(time.monotonic_ns() - 1_000_000)  # ...replaced by one already past
        await asyncio.wait_for(done.wait(), 5)
        waited = time.monotonic() - start
        await asyncio.sleep(0.02)
        wakeup.close()
        return count, waited

    count, waited = run(main)
    assert count == 1
    assert waited < 1.0


@linux_only
def test_close_releases_the_descriptor() -> None:
    async def main() -> int:
        wakeup = TimerFdWakeup(asyncio.get_running_loop(), lambda: None)
        fd = wakeup._fd
        wakeup.close()
        wakeup.close()  # idempotent
        wakeup.disarm()  # and disarming a closed one is a no-op, not EBADF
        return fd

    fd = run(main)
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)


@linux_only
def test_the_ctypes_path_works_where_os_has_no_timerfd() -> None:
    """Python < 3.13 has no os.timerfd_create; ctypes calls the same syscalls."""
    sys_fd = _LibcTimerFd()
    fd = sys_fd.create()
    try:
        sys_fd.arm_at(fd, time.monotonic_ns() - 1, 0)
        time.sleep(0.01)
        expirations = int.from_bytes(os.read(fd, 8), sys.byteorder)
        assert expirations == 1
        sys_fd.arm_at(fd, time.monotonic_ns() - 1, 1_000_000)  # and a repeating one
        time.sleep(0.02)
        expirations = int.from_bytes(os.read(fd, 8), sys.byteorder)
        assert expirations >= 5  # ~20; generous
    finally:
        os.close(fd)


@linux_only
def test_a_repeating_timerfd_keeps_its_grid_until_disarmed() -> None:
    """Fire k is at first + k x period or after, and no two fires come within a period
    of the grid point before; disarm stops it."""

    async def main() -> tuple[int, list[int]]:
        loop = asyncio.get_running_loop()
        fired: list[int] = []
        enough = asyncio.Event()

        def fire() -> None:
            fired.append(time.monotonic_ns())
            if len(fired) == 5:
                wakeup.disarm()
                enough.set()

        wakeup = TimerFdWakeup(loop, fire)
        first = time.monotonic_ns() + 2_300_000
        wakeup.arm_at(first, 1_700_000)
        await asyncio.wait_for(enough.wait(), 5)
        await asyncio.sleep(0.02)  # a fire after disarm would land here
        wakeup.close()
        return first, fired

    first, fired = run(main)
    assert len(fired) == 5
    # Each fire serves the latest grid point passed: on the grid, never before it.
    points = [(t - first) // 1_700_000 for t in fired]
    assert all(t >= first for t in fired)
    assert points == sorted(set(points))  # one fire per grid point at most


@linux_only
def test_auto_picks_the_timerfd_and_loop_is_honoured() -> None:
    async def main() -> tuple[str, str]:
        loop = asyncio.get_running_loop()
        auto = make_wakeup("auto", loop, lambda: None)
        plain = make_wakeup("loop", loop, lambda: None)
        kinds = auto.kind, plain.kind
        auto.close()
        plain.close()
        return kinds

    assert run(main) == ("timerfd", "loop")


def test_a_wheel_on_a_fake_clock_uses_the_loop_timer() -> None:
    """A timerfd reads the real clock; a test clock only agrees with the loop's timer."""

    async def main() -> str:
        wheel = TimerWheel(asyncio.get_running_loop(), clock=lambda: 0)
        kind = wheel.wakeup_kind
        wheel.close()
        return kind

    assert run(main) == "loop"


def test_the_loop_timer_rounds_up_to_whole_milliseconds() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        delays: list[float] = []
        real_call_later = loop.call_later

        def spy(delay: float, callback, *args):  # type: ignore[no-untyped-def]
            delays.append(delay)
            return real_call_later(delay, callback, *args)

        loop.call_later = spy  # type: ignore[method-assign]
        wakeup = LoopWakeup(loop, lambda: None, clock=lambda: 0)
        wakeup.arm_at(400_000)  # 0.4 ms: uvloop would round it to 0 and spin
        wakeup.arm_at(-5)
        wakeup.close()
        return delays

    assert run(main) == [0.001, 0.0]
