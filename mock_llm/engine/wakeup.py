"""Wake-ups at an absolute CLOCK_MONOTONIC time, once or on a grid, for the timer wheel.

The event loop's own timers are millisecond timers: libuv keeps its clock in
whole milliseconds, so a uvloop timer fires on the first millisecond boundary
at or after its deadline, on average half a millisecond late before any work
is done. A Linux ``timerfd`` armed at an absolute nanosecond deadline and
watched with ``loop.add_reader`` wakes the loop within microseconds of it.
A timerfd can also repeat (``period_ns``): the wheel lets it tick while every
slot is occupied instead of re-arming it after each one. Under a hypervisor
re-arming costs ~12 us of syscalls per slot (``timerfd_settime`` reprograms the
timer through it), a repeating timer's ``read`` ~9 us (CHANGELOG.md,
"half-millisecond slots", ``perf stat`` at 1000 paced streams).

``os.timerfd_create`` exists from Python 3.13; before that the same syscalls
are called through ctypes. Where neither works (not Linux), the loop's timer
is the fallback; it does not repeat.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import time
from collections.abc import Callable
from typing import Literal, Protocol

WakeupKind = Literal["auto", "timerfd", "loop"]

_CLOCK_MONOTONIC = 1
_TFD_TIMER_ABSTIME = 1


class Wakeup(Protocol):
    kind: str
    repeats: bool
    """Whether ``arm_at`` takes a period."""

    def arm_at(self, deadline_ns: int, period_ns: int = 0) -> None:
        """Call the callback at ``deadline_ns`` (monotonic; right away if past), then every
        ``period_ns`` after it if that is not 0, until armed again or disarmed."""

    def disarm(self) -> None: ...

    def close(self) -> None: ...


class LoopWakeup:
    """The loop's millisecond timer, armed in whole milliseconds rounded up.

    uvloop rounds a delay to the nearest millisecond: 0.4 ms would fire at once,
    find nothing due and re-arm, a busy spin until the deadline.
    """

    kind = "loop"
    repeats = False

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        callback: Callable[[], None],
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._loop = loop
        self._callback = callback
        self._clock = clock
        self._handle: asyncio.TimerHandle | None = None

    def arm_at(self, deadline_ns: int, period_ns: int = 0) -> None:
        if period_ns:
            raise ValueError("the loop's timer does not repeat")
        self.disarm()
        wait_ns = deadline_ns - self._clock()
        delay_s = 0.0 if wait_ns <= 0 else -(-wait_ns // 1_000_000) / 1000
        self._handle = self._loop.call_later(delay_s, self._callback)

    def disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def close(self) -> None:
        self.disarm()


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _LibcTimerFd:
    """timerfd_create / timerfd_settime through ctypes (Python < 3.13)."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._create = libc.timerfd_create
        self._create.argtypes = [ctypes.c_int, ctypes.c_int]
        self._create.restype = ctypes.c_int
        self._settime = libc.timerfd_settime
        self._settime.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(_Itimerspec),
            ctypes.c_void_p,
        ]
        self._settime.restype = ctypes.c_int
        self._spec = _Itimerspec()
        self._spec_ref = ctypes.byref(self._spec)

    def create(self) -> int:
        fd: int = self._create(_CLOCK_MONOTONIC, os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))
        return fd

    def arm_at(self, fd: int, deadline_ns: int, period_ns: int) -> None:
        value, interval = self._spec.it_value, self._spec.it_interval
        value.tv_sec, value.tv_nsec = divmod(deadline_ns, 1_000_000_000)
        interval.tv_sec, interval.tv_nsec = divmod(period_ns, 1_000_000_000)
        if self._settime(fd, _TFD_TIMER_ABSTIME, self._spec_ref, None) < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))


class _OsTimerFd:
    """The same through ``os`` (Python >= 3.13)."""

    def create(self) -> int:
        fd: int = os.timerfd_create(  # type: ignore[attr-defined,unused-ignore]
            time.CLOCK_MONOTONIC,
            flags=os.TFD_NONBLOCK | os.TFD_CLOEXEC,  # type: ignore[attr-defined,unused-ignore]
        )
        return fd

    def arm_at(self, fd: int, deadline_ns: int, period_ns: int) -> None:
        os.timerfd_settime_ns(  # type: ignore[attr-defined,unused-ignore]
            fd,
            flags=os.TFD_TIMER_ABSTIME,  # type: ignore[attr-defined,unused-ignore]
            initial=deadline_ns,
            interval=period_ns,
        )


class TimerFdWakeup:
    """A timerfd on CLOCK_MONOTONIC (the clock of ``time.monotonic_ns``) in the loop."""

    kind = "timerfd"
    repeats = True

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._sys: _OsTimerFd | _LibcTimerFd = (
            _OsTimerFd() if hasattr(os, "timerfd_create") else _LibcTimerFd()
        )
        self._fd = self._sys.create()
        self._loop = loop
        self._callback = callback
        loop.add_reader(self._fd, self._ready)

    def arm_at(self, deadline_ns: int, period_ns: int = 0) -> None:
        # 0 would disarm the timer; a deadline in the past fires at once. A
        # repeating timer keeps its grid (deadline + k * period) when it fires
        # late, however late.
        self._sys.arm_at(self._fd, max(deadline_ns, 1), period_ns)

    def disarm(self) -> None:
        if self._fd >= 0:
            self._sys.arm_at(self._fd, 0, 0)

    def _ready(self) -> None:
        try:
            os.read(self._fd, 8)  # expirations since the last read; reading re-enables the fd
        except BlockingIOError:  # re-armed after it became readable: not expired now
            return
        self._callback()

    def close(self) -> None:
        if self._fd >= 0:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = -1


def make_wakeup(
    kind: WakeupKind,
    loop: asyncio.AbstractEventLoop,
    callback: Callable[[], None],
    clock: Callable[[], int] = time.monotonic_ns,
) -> Wakeup:
    """``auto``: a timerfd where the platform has one, else the loop's timer."""
    if kind == "loop":
        return LoopWakeup(loop, callback, clock)
    try:
        return TimerFdWakeup(loop, callback)
    except (OSError, AttributeError, NotImplementedError):
        if kind == "timerfd":
            raise
        return LoopWakeup(loop, callback, clock)
