# Locust ships py.typed but leaves parts of its API unannotated (event hooks,
# LoadTestShape helpers); those calls are all this file does untyped.
# mypy: disable-error-code="no-untyped-call, untyped-decorator"
"""The SLO check at quit: Locust's exit code says whether the run met the SLO.

Judged on the master (or the standalone process), over the whole run, from the
``stream`` row (streams and failed streams) and the ``SSE`` rows ``TTFT`` and ``ITL``
(Locust's percentiles of its rounded histogram: 1 ms steps under 100 ms, 10 ms to 1 s).
Only runs that include :class:`StreamingUser` are judged. ``--no-slo-check`` turns it
off (a capacity ramp exceeds the SLO on purpose and is judged per step instead).
"""

from __future__ import annotations

import logging

from locust.env import Environment
from locust.runners import WorkerRunner
from locust.stats import RequestStats

from ..load.slo import Observed, violations
from ..load.stream_samples import ITL, REQUEST_TYPE, TTFT
from .options import config_from
from .users import STREAM_NAME, StreamingUser

__all__ = ["SLO_EXIT_CODE", "check_slo", "install", "observed_from"]

#: Locust's exit code when the SLO was missed (1, like a failed test).
SLO_EXIT_CODE = 1

logger = logging.getLogger("streamgauge.slo")


def _p95(stats: RequestStats, name: str) -> float | None:
    entry = stats.entries.get((name, REQUEST_TYPE))
    if entry is None or entry.num_requests == 0:
        return None
    return float(entry.get_response_time_percentile(0.95))


def observed_from(stats: RequestStats) -> Observed:
    stream = stats.entries.get((STREAM_NAME, "POST"))
    return Observed(
        streams=stream.num_requests if stream is not None else 0,
        failed_streams=stream.num_failures if stream is not None else 0,
        ttft_p95_ms=_p95(stats, TTFT),
        itl_p95_ms=_p95(stats, ITL),
    )


def check_slo(environment: Environment, **_: object) -> None:
    config = config_from(environment.parsed_options)
    if not config.slo_check or StreamingUser not in environment.user_classes:
        return
    missed = violations(observed_from(environment.stats), config.slo)
    if missed:
        logger.error("SLO missed: %s", "; ".join(missed))
        environment.process_exit_code = SLO_EXIT_CODE
    else:
        logger.info("SLO met: %s", config.slo)


def install(environment: Environment) -> None:
    if not isinstance(environment.runner, WorkerRunner):
        environment.events.quitting.add_listener(check_slo)
