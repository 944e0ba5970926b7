# Locust ships py.typed but leaves parts of its API unannotated (event hooks,
# LoadTestShape helpers); those calls are all this file does untyped.
# mypy: disable-error-code="no-untyped-call, untyped-decorator"
"""The streamgauge Locust suite, loaded by ``locustfile.py``: users and event listeners.

Users (pick them by class name on the command line; all three by default):

- :class:`StreamingUser`: closed-loop streams, TTFT/ITL/E2E/tokens as ``SSE`` rows
- :class:`HealthProbeUser`: one user probing ``/healthz`` at ``--probe-rate``
- :class:`DisconnectingUser`: leaves after ``--leave-after`` events; with
  ``--ledger-url`` it reports the tokens the upstream generated after it left

Add a shape with ``-f locustfile.py,shape_step.py`` (or ``shape_spike.py``). At quit the
SLO (``--slo-*``) sets the exit code. Works against any ``--host``: the shape flags say
how it is called and read (``--request-shape openai-chat --response-shape openai-chat``
for an OpenAI URL); ``streamgauge capacity`` runs it against the embedded mock + service,
a team's ``--app`` or ``--target``, optionally through nginx.
"""

from __future__ import annotations

import argparse
import logging
import signal

import gevent
from locust import events
from locust.env import Environment
from locust.runners import WorkerRunner

from . import lag, slo
from .options import add_arguments, config_from
from .shapes import ScheduleShape
from .users import DisconnectingUser, HealthProbeUser, StreamingUser

__all__ = ["DisconnectingUser", "HealthProbeUser", "StreamingUser"]


@events.init_command_line_parser.add_listener
def _add_arguments(parser: argparse.ArgumentParser, **_: object) -> None:
    add_arguments(parser)


@events.init.add_listener
def _install(environment: Environment, **_: object) -> None:
    # Fail at startup, not in every user, when the options do not add up.
    config_from(environment.parsed_options)
    lag.install(environment)
    slo.install(environment)
    # The ledger lookups of DisconnectingUser would log every request at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not isinstance(environment.runner, WorkerRunner):
        # Locust installs its own SIGTERM handler only once a shape run has ended; until
        # then SIGTERM kills it without a report. Ending the shape takes Locust's normal
        # way out: JSON, HTML and the exit code are written.
        gevent.signal_handler(signal.SIGTERM, _end_shape, environment)


def _end_shape(environment: Environment) -> None:
    shape = environment.shape_class
    logging.getLogger("streamgauge").info("SIGTERM: ending the test, writing reports")
    if isinstance(shape, ScheduleShape):
        shape.request_stop()
    elif environment.runner is not None:
        environment.runner.quit()
