# Locust ships py.typed but leaves parts of its API unannotated (event hooks,
# LoadTestShape helpers); those calls are all this file does untyped.
# mypy: disable-error-code="no-untyped-call, untyped-decorator"
"""The load generator's own event-loop lag, reported as a Locust request row.

Locust's CPU warning did not fire here while its timings were skewed (docs/behaviours.md#locust), so
each worker (or the standalone process) runs a greenlet that sleeps ``interval`` and
measures how late it woke up, with ``perf_counter_ns``. Every sample is a
``GENERATOR / loop lag`` request event: its percentiles per second land in Locust's
history CSV next to the TTFTs they may have inflated, and a master aggregates its
workers' like any other row. A late wake-up is time every stream's read waited too.
"""

from __future__ import annotations

import time

import gevent
from locust.env import Environment
from locust.runners import MasterRunner

from .options import config_from

__all__ = ["LAG_NAME", "LAG_TYPE", "LoopLagProbe", "install"]

LAG_TYPE = "GENERATOR"
LAG_NAME = "loop lag"


class LoopLagProbe:
    """A greenlet between ``test_start`` and ``test_stop`` of one Locust process."""

    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._greenlet: gevent.Greenlet | None = None

    def start(self, **_: object) -> None:
        # Read at start: a worker gets the master's options with its first spawn message.
        interval_ms = config_from(self._environment.parsed_options).lag_interval_ms
        if self._greenlet is None and interval_ms > 0:
            self._greenlet = gevent.spawn(self._run, int(interval_ms * 1_000_000))

    def stop(self, **_: object) -> None:
        if self._greenlet is not None:
            self._greenlet.kill(block=False)
            self._greenlet = None

    def _run(self, interval_ns: int) -> None:
        fire = self._environment.events.request.fire
        interval_s = interval_ns / 1e9
        clock = time.perf_counter_ns
        while True:
            before = clock()
            gevent.sleep(interval_s)
            lag_ns = max(0, clock() - before - interval_ns)
            fire(
                request_type=LAG_TYPE,
                name=LAG_NAME,
                response_time=lag_ns / 1e6,
                response_length=0,
                exception=None,
                context={},
            )


def install(environment: Environment) -> None:
    """Run a probe in every process that runs users (not in a master)."""
    if isinstance(environment.runner, MasterRunner):
        return
    probe = LoopLagProbe(environment)
    environment.events.test_start.add_listener(probe.start)
    environment.events.test_stop.add_listener(probe.stop)
