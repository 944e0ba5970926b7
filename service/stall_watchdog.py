"""Stall attribution: a thread that catches the event loop stuck and says where.

The lag probe updates a heartbeat every few ms while the loop runs. This thread
checks it each time the last heartbeat it saw would reach the threshold's age;
when the heartbeat is older than the threshold (100 ms by default) it
samples the loop thread's stack with ``sys._current_frames()``, and when the
loop ticks again it records the stall: duration, the innermost frame (the call
that blocks, e.g. a socket ``recv`` inside the sync HTTP client) and the
innermost frame inside the ``service`` package (the line of ours that called
it). The last N stalls are kept for ``GET /debug/stalls`` and metrics labels.
"""

from __future__ import annotations

import linecache
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

_SERVICE_DIR = str(Path(__file__).resolve().parent) + "/"
_REPO_DIR = str(Path(__file__).resolve().parent.parent) + "/"
_MAX_FRAMES = 16


@dataclass(frozen=True)
class StallRecord:
    """One stall; ``frames`` innermost first as ``path:line in func: source``."""

    started_ns: int  # last heartbeat before the stall (perf_counter_ns clock)
    duration_ns: int  # heartbeat silence minus the probe interval
    sampled_after_ns: int  # how long the loop had been silent when its stack was taken
    blocking_call: str  # innermost frame: what the loop thread was doing
    service_frame: str | None  # innermost frame in service/: our line that got there
    frames: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["duration_ms"] = round(self.duration_ns / 1e6, 3)
        return out


def _short_path(filename: str) -> str:
    resolved = str(Path(filename).resolve()) if filename.startswith("/") else filename
    if resolved.startswith(_REPO_DIR) and "site-packages" not in resolved:
        return resolved[len(_REPO_DIR) :]
    marker = "site-packages/"
    cut = resolved.rfind(marker)
    if cut >= 0:
        return resolved[cut + len(marker) :]
    return resolved


def describe_frame(frame: FrameType) -> str:
    code = frame.f_code
    source = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return f"{_short_path(code.co_filename)}:{frame.f_lineno} in {code.co_name}: {source}"


def summarize_stack(frame: FrameType | None) -> tuple[str, str | None, tuple[str, ...]]:
    """``(blocking_call, service_frame, frames)`` for a stack, innermost first."""
    frames: list[str] = []
    service_frame: str | None = None
    current = frame
    while current is not None:
        described = describe_frame(current) if len(frames) < _MAX_FRAMES else None
        if described is not None:
            frames.append(described)
        if service_frame is None and current.f_code.co_filename.startswith(_SERVICE_DIR):
            service_frame = described or describe_frame(current)
        current = current.f_back
    blocking = frames[0] if frames else "<no python frame>"
    return blocking, service_frame, tuple(frames)


class StallWatchdog:
    """Daemon thread; :meth:`start` from the loop thread, :meth:`stop` at shutdown."""

    def __init__(
        self,
        heartbeat_ns: Callable[[], int],
        *,
        threshold_s: float,
        probe_interval_s: float,
        keep: int,
        on_stall: Callable[[Sequence[StallRecord]], None],
        clock: Callable[[], int] = time.perf_counter_ns,
    ) -> None:
        self._heartbeat_ns = heartbeat_ns
        self._threshold_ns = round(threshold_s * 1e9)
        self._interval_ns = round(probe_interval_s * 1e9)
        self._poll_s = max(0.005, threshold_s / 5)
        self._on_stall = on_stall
        self._clock = clock
        self._stalls: deque[StallRecord] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop_thread_id = 0

    def start(self) -> None:
        self._loop_thread_id = threading.get_ident()
        self._thread = threading.Thread(target=self._run, name="stall-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    def stalls(self) -> list[StallRecord]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._stalls))

    def _run(self) -> None:
        open_beat: int | None = None
        sample: tuple[int, tuple[str, str | None, tuple[str, ...]]] | None = None
        wait_s = self._poll_s
        while not self._stop.wait(wait_s):
            wait_s = self._poll_s  # while a stall is open: poll for its end
            beat = self._heartbeat_ns()
            if open_beat is not None and sample is not None:
                if beat == open_beat:
                    continue
                self._record(open_beat, beat, sample)
                open_beat, sample = None, None
            silent_ns = self._clock() - beat
            if silent_ns >= self._threshold_ns:
                frame = sys._current_frames().get(self._loop_thread_id)
                sample = (silent_ns, summarize_stack(frame))
                del frame  # do not keep the loop's frames alive
                open_beat = beat
            else:
                # Healthy: sleep until this heartbeat would be threshold old
                # (+1 ms against early wake-ups), not a fixed poll. ~10 wake-ups
                # a second instead of 50: at idle each one is a wake-up of a
                # sleeping process, and a stall is caught as it crosses the
                # threshold instead of up to one poll later.
                wait_s = (self._threshold_ns - silent_ns) / 1e9 + 0.001

    def _record(
        self, before: int, after: int, sample: tuple[int, tuple[str, str | None, tuple[str, ...]]]
    ) -> None:
        sampled_after_ns, (blocking, service_frame, frames) = sample
        record = StallRecord(
            started_ns=before,
            duration_ns=max(0, after - before - self._interval_ns),
            sampled_after_ns=sampled_after_ns,
            blocking_call=blocking,
            service_frame=service_frame,
            frames=frames,
        )
        with self._lock:
            self._stalls.append(record)
            newest_first = list(reversed(self._stalls))
        self._on_stall(newest_first)
