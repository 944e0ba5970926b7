"""Load schedules as pure functions of elapsed time: the step ramp and the spike.

Locust's shape classes (``loadtests/locust_suite/shapes.py``) only ask these for the
user count at ``t`` seconds; the capacity analysis reads the same schedule to know
which users each step had. Times are seconds since the shape started.

Step ramp: ``levels = start, start + step, ... , max`` (``max`` is always the last
level, even when the increments do not land on it); level ``i`` runs from
``i * step_s`` to ``(i + 1) * step_s``; after the last level the test ends.
``step_s >= 10``: Locust's "current" percentiles, the ones its history CSV reports each
second, cover a sliding window of about 10 s, so a shorter step would mix levels.

Spike: ``base`` users, ``peak`` users from ``spike_at_s`` for ``spike_s``, then
``base`` again until ``total_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = ["Spike", "Step", "StepRamp"]


@dataclass(frozen=True, slots=True)
class Step:
    """One level of a step ramp, ``[start_s, end_s)`` since the shape started."""

    index: int
    users: int
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class StepRamp:
    """``start_users``, plus ``step_users`` every ``step_s`` seconds, up to ``max_users``."""

    start_users: int = 1
    step_users: int = 10
    max_users: int = 201
    step_s: float = 15.0

    #: Locust's current-percentile window (``CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW``).
    MIN_STEP_S: ClassVar[float] = 10.0

    def __post_init__(self) -> None:
        if self.start_users < 1 or self.step_users < 1:
            raise ValueError("start_users and step_users must be >= 1")
        if self.max_users < self.start_users:
            raise ValueError(
                f"max_users ({self.max_users}) must be >= start_users ({self.start_users})"
            )
        if self.step_s < self.MIN_STEP_S:
            raise ValueError(
                f"step_s must be >= {self.MIN_STEP_S:g} s (Locust's percentile window), "
                f"got {self.step_s:g}"
            )

    @property
    def levels(self) -> tuple[int, ...]:
        """User count of every step, in order; ``(1, 21, 41)`` for 1/20/41."""
        levels = list(range(self.start_users, self.max_users + 1, self.step_users))
        if levels[-1] != self.max_users:
            levels.append(self.max_users)
        return tuple(levels)

    @property
    def duration_s(self) -> float:
        return len(self.levels) * self.step_s

    @property
    def spawn_rate(self) -> float:
        """Users started per second: a step's new users within about one second."""
        return float(max(self.step_users, self.start_users))

    def steps(self) -> list[Step]:
        return [
            Step(i, users, i * self.step_s, (i + 1) * self.step_s)
            for i, users in enumerate(self.levels)
        ]

    def users_at(self, t_s: float) -> int | None:
        """Users wanted ``t_s`` seconds in; ``None`` once the ramp is over."""
        if t_s < 0:
            return self.levels[0]
        index = int(t_s // self.step_s)
        levels = self.levels
        return levels[index] if index < len(levels) else None


@dataclass(frozen=True, slots=True)
class Spike:
    """``base_users``, jumping to ``peak_users`` at ``spike_at_s`` for ``spike_s`` seconds."""

    base_users: int = 10
    peak_users: int = 50
    spike_at_s: float = 20.0
    spike_s: float = 10.0
    total_s: float = 60.0

    def __post_init__(self) -> None:
        if self.base_users < 0 or self.peak_users < 1:
            raise ValueError("base_users must be >= 0 and peak_users >= 1")
        if self.spike_at_s < 0 or self.spike_s <= 0:
            raise ValueError("spike_at_s must be >= 0 and spike_s > 0")
        if self.total_s < self.spike_at_s + self.spike_s:
            raise ValueError("total_s must cover the spike (spike_at_s + spike_s)")

    @property
    def duration_s(self) -> float:
        return self.total_s

    @property
    def spawn_rate(self) -> float:
        """Fast enough to reach the peak within about one second."""
        return float(max(1, abs(self.peak_users - self.base_users)))

    def users_at(self, t_s: float) -> int | None:
        if t_s >= self.total_s:
            return None
        if self.spike_at_s <= t_s < self.spike_at_s + self.spike_s:
            return self.peak_users
        return self.base_users
