"""The suite's own Locust command-line options, and the typed config built from them.

Registered on Locust's parser by the locustfile (``init_command_line_parser``); Locust
sends them from the master to its workers with every spawn message. Defaults come from
the pure models (:class:`AggregateSLO`, :class:`StepRamp`, :class:`Spike`) so they live
once. This module does not import locust: ``streamgauge capacity`` builds the same flags.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from ..client.endpoints import Endpoint
from ..client.marker import Shaping
from ..client.shape_options import add_shape_arguments, shapes_from_args
from ..load.shapes import Spike, StepRamp
from ..load.slo import AggregateSLO

__all__ = ["SuiteConfig", "add_arguments", "config_from"]

_SLO = AggregateSLO()
_RAMP = StepRamp()
_SPIKE = Spike()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the suite's flags to Locust's parser."""
    group = parser.add_argument_group("streamgauge")
    add = group.add_argument
    add("--stream-path", default="/chat/stream", help="streaming POST path on --host")
    # How the stream is called and read: the same flags as every streamgauge command
    # (an OpenAI-compatible URL: --request-shape openai-chat --response-shape openai-chat).
    add_shape_arguments(group)
    add("--prompt", default="Say something.", help="prompt every stream sends")
    add("--model", default="mock-gpt", help="model id for the openai-* request shapes")
    add(
        "--mock-ttft-ms",
        type=float,
        default=None,
        help="send X-Mock-Ttft-Ms (a service that forwards X-Mock-* shapes its upstream)",
    )
    add("--mock-itl-ms", type=float, default=None, help="send X-Mock-Itl-Ms")
    add("--mock-tokens", type=int, default=None, help="send X-Mock-Tokens")
    add("--probe-path", default="/healthz", help="health probe GET path")
    add("--probe-rate", type=float, default=10.0, help="health probes per second (one user)")
    add(
        "--leave-after",
        type=int,
        default=5,
        help="content events the disconnecting user reads before it closes the connection",
    )
    add(
        "--ledger-url",
        default=None,
        help="mock_llm base URL: the disconnecting user reports tokens generated after it left",
    )
    add("--slo-ttft-p95-ms", type=float, default=_SLO.ttft_p95_ms, help="SLO: TTFT p95 bound")
    add("--slo-itl-p95-ms", type=float, default=_SLO.itl_p95_ms, help="SLO: ITL p95 bound")
    add(
        "--slo-max-error-ratio",
        type=float,
        default=_SLO.max_error_ratio,
        help="SLO: failed streams / streams bound",
    )
    add(
        "--no-slo-check",
        action="store_true",
        help="do not set the exit code from the SLO at quit (capacity ramps exceed it on purpose)",
    )
    add("--ramp-start-users", type=int, default=_RAMP.start_users, help="step ramp: first level")
    add("--ramp-step-users", type=int, default=_RAMP.step_users, help="step ramp: users per step")
    add("--ramp-max-users", type=int, default=_RAMP.max_users, help="step ramp: last level")
    add("--ramp-step-s", type=float, default=_RAMP.step_s, help="step ramp: seconds per step")
    add("--spike-base-users", type=int, default=_SPIKE.base_users, help="spike: users before/after")
    add("--spike-peak-users", type=int, default=_SPIKE.peak_users, help="spike: users during")
    add("--spike-at-s", type=float, default=_SPIKE.spike_at_s, help="spike: start, s")
    add("--spike-s", type=float, default=_SPIKE.spike_s, help="spike: length, s")
    add("--spike-total-s", type=float, default=_SPIKE.total_s, help="spike: test length, s")
    add(
        "--lag-interval-ms",
        type=float,
        default=10.0,
        help="the load generator's own loop-lag probe period (0 disables)",
    )


@dataclass(frozen=True, slots=True)
class SuiteConfig:
    """Everything the suite's users, shapes and listeners read, typed."""

    endpoint: Endpoint
    prompt: str
    mock_headers: dict[str, str]
    #: The same shaping as :attr:`mock_headers`, for the prompt's correlation marker.
    shaping: Shaping | None
    #: Sent as ``max_tokens`` by the OpenAI request shapes (``--mock-tokens``).
    max_tokens: int | None
    probe_path: str
    probe_rate: float
    leave_after: int
    ledger_url: str | None
    slo: AggregateSLO
    slo_check: bool
    ramp: StepRamp
    spike: Spike
    lag_interval_ms: float


def _mock_headers(options: Any) -> dict[str, str]:
    # The names the mock reads (mock_llm/overrides.py); each one only when given.
    pairs = (
        ("x-mock-ttft-ms", options.mock_ttft_ms),
        ("x-mock-itl-ms", options.mock_itl_ms),
        ("x-mock-tokens", options.mock_tokens),
    )
    return {name: f"{value:g}" for name, value in pairs if value is not None}


def _shaping(options: Any) -> Shaping | None:
    shaping = Shaping(
        ttft_ms=options.mock_ttft_ms, itl_ms=options.mock_itl_ms, tokens=options.mock_tokens
    )
    return None if shaping == Shaping() else shaping


def config_from(options: Any) -> SuiteConfig:
    """Build the config from Locust's ``parsed_options``; ``None`` gives the defaults.

    Raises ``ValueError`` on inconsistent values (a ramp step under 10 s, ...).
    """
    if options is None:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        options = parser.parse_args([])
    if options.leave_after < 1 or options.probe_rate <= 0:
        raise ValueError("--leave-after must be >= 1 and --probe-rate > 0")
    request, response = shapes_from_args(options)
    endpoint = Endpoint("locust", options.stream_path, request, response, options.model)
    return SuiteConfig(
        endpoint=endpoint,
        prompt=options.prompt,
        mock_headers=_mock_headers(options),
        shaping=_shaping(options),
        max_tokens=options.mock_tokens,
        probe_path=options.probe_path,
        probe_rate=options.probe_rate,
        leave_after=options.leave_after,
        ledger_url=options.ledger_url.rstrip("/") if options.ledger_url else None,
        slo=AggregateSLO(
            options.slo_ttft_p95_ms, options.slo_itl_p95_ms, options.slo_max_error_ratio
        ),
        slo_check=not options.no_slo_check,
        ramp=StepRamp(
            options.ramp_start_users,
            options.ramp_step_users,
            options.ramp_max_users,
            options.ramp_step_s,
        ),
        spike=Spike(
            options.spike_base_users,
            options.spike_peak_users,
            options.spike_at_s,
            options.spike_s,
            options.spike_total_s,
        ),
        lag_interval_ms=options.lag_interval_ms,
    )
