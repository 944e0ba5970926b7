# Locust ships py.typed but leaves parts of its API unannotated (event hooks,
# LoadTestShape helpers); those calls are all this file does untyped.
# mypy: disable-error-code="no-untyped-call, untyped-decorator"
"""Locust load shapes over the pure schedules of :mod:`loadtests.load.shapes`.

A locustfile runs the first shape class it finds, so each shape also has a one-line
locustfile of its own (``shape_step.py``, ``shape_spike.py``) to add with ``-f``::

    locust -f loadtests/locust_suite/locustfile.py,loadtests/locust_suite/shape_step.py ...
"""

from __future__ import annotations

from locust import LoadTestShape

from ..load.shapes import Spike, StepRamp
from .options import SuiteConfig, config_from

__all__ = ["ScheduleShape", "SpikeShape", "StepRampShape"]


class ScheduleShape(LoadTestShape):
    """Follows a schedule; also ends at ``--run-time``, which Locust ignores for shapes.

    ``use_common_options`` only silences Locust's warning that ``--run-time`` is ignored:
    this shape reads it (``--users`` and ``--spawn-rate`` do stay without effect).
    """

    abstract = True
    use_common_options = True
    _schedule: StepRamp | Spike | None = None
    _run_time_s: float | None = None
    _stop_requested = False

    def request_stop(self) -> None:
        """End the test at the next tick (within a second), the way a finished shape does."""
        self._stop_requested = True

    def _load(self, config: SuiteConfig) -> StepRamp | Spike:
        raise NotImplementedError

    def tick(self) -> tuple[int, float] | None:
        if self._schedule is None:
            assert self.runner is not None
            options = self.runner.environment.parsed_options
            self._schedule = self._load(config_from(options))
            self._run_time_s = getattr(options, "run_time", None) or None
        elapsed_s = self.get_run_time()
        if self._stop_requested or (self._run_time_s is not None and elapsed_s >= self._run_time_s):
            return None
        users = self._schedule.users_at(elapsed_s)
        return None if users is None else (users, self._schedule.spawn_rate)


class StepRampShape(ScheduleShape):
    """``--ramp-start-users``, ``+--ramp-step-users`` every ``--ramp-step-s``, up to the max."""

    def _load(self, config: SuiteConfig) -> StepRamp:
        return config.ramp


class SpikeShape(ScheduleShape):
    """``--spike-base-users``, ``--spike-peak-users`` for ``--spike-s`` from ``--spike-at-s``."""

    def _load(self, config: SuiteConfig) -> Spike:
        return config.spike
