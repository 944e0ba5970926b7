"""``streamgauge capacity`` flags: parsed, checked, and turned into the pure models.

The service under test takes the flags every command that sends streams takes
(:mod:`loadtests.commands.target_options`: ``--app``, ``--target``, ``--proxy``, the
shapes, ``--model``); ``--variant``, ``--upstream-*`` and ``--nginx`` shape the embedded
default. Defaults come from :class:`StepRamp`, :class:`AggregateSLO` and
:class:`GeneratorLimits`, so ``--help`` shows the values the analysis uses. A bad
option is an argparse error: a one-line message and exit code 2, before anything starts.
"""

from __future__ import annotations

import argparse
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..commands.target_options import add_target_arguments, is_target, validate_target_arguments
from ..load.shapes import StepRamp
from ..load.slo import AggregateSLO
from ..systems.environment import ALL_VARIANTS
from ..systems.nginx import find_nginx, template_names
from .knee import GeneratorLimits

__all__ = ["CapacityOptions", "build_parser", "parse_options"]

_SLO = AggregateSLO()
_RAMP = StepRamp()
_LIMITS = GeneratorLimits()
_CPU_LIST = re.compile(r"\d+(-\d+)?(,\d+(-\d+)?)*")


@dataclass(frozen=True)
class CapacityOptions:
    """The parsed command line plus the validated models."""

    args: argparse.Namespace
    ramp: StepRamp
    slo: AggregateSLO
    limits: GeneratorLimits

    @property
    def variant(self) -> str | None:
        """The embedded variant, ``None`` with ``--app`` or ``--target``."""
        return None if is_target(self.args) else (self.args.variant or "reference")

    @property
    def mock_flags(self) -> list[str]:
        """``--upstream-*`` as flags of the embedded mock_llm."""
        flags: list[str] = []
        for flag, value in (
            ("--ttft-ms", self.args.upstream_ttft_ms),
            ("--itl-ms", self.args.upstream_itl_ms),
            ("--tokens", self.args.upstream_tokens),
        ):
            if value is not None:
                flags += [flag, f"{value:g}"]
        return flags


def build_parser(prog: str = "streamgauge capacity") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Locust step ramp: the largest "
        "concurrency (users = concurrent streams) meeting the SLO.",
    )
    add_target_arguments(p)
    _add_embedded_flags(
        p.add_argument_group("the embedded default (mock_llm + a service variant), and nginx")
    )
    _add_ramp_flags(p.add_argument_group("step ramp"))
    _add_slo_flags(p.add_argument_group("SLO, per step"))
    _add_generator_flags(p.add_argument_group("load generator"))
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=Path("results/runs"),
        help="where run folders go (default: %(default)s)",
    )
    return p


def _add_embedded_flags(what: argparse._ArgumentGroup) -> None:
    what.add_argument(
        "--variant",
        choices=ALL_VARIANTS,
        metavar="NAME",
        help=f"embedded service variant: {', '.join(ALL_VARIANTS)} (default: reference)",
    )
    what.add_argument(
        "--nginx",
        metavar="TEMPLATE",
        help=f"put a private nginx in front: {', '.join(template_names())} "
        "(for --app or --target, --proxy nginx:TEMPLATE says the same)",
    )
    what.add_argument(
        "--upstream-ttft-ms",
        type=float,
        metavar="MS",
        help="embedded mock's time to first token (mock default: 100)",
    )
    what.add_argument(
        "--upstream-itl-ms",
        type=float,
        metavar="MS",
        help="embedded mock's inter-token latency (mock default: 10)",
    )
    what.add_argument(
        "--upstream-tokens",
        type=int,
        metavar="N",
        help="embedded mock's tokens per stream (mock default: 50)",
    )


def _add_ramp_flags(ramp: argparse._ArgumentGroup) -> None:
    ramp.add_argument(
        "--start-users",
        type=int,
        default=_RAMP.start_users,
        metavar="N",
        help="first step (default: %(default)s)",
    )
    ramp.add_argument(
        "--step-users",
        type=int,
        default=_RAMP.step_users,
        metavar="N",
        help="users added per step (default: %(default)s)",
    )
    ramp.add_argument(
        "--max-users",
        type=int,
        default=_RAMP.max_users,
        metavar="N",
        help="last step (default: %(default)s)",
    )
    ramp.add_argument(
        "--step-s",
        type=float,
        default=_RAMP.step_s,
        metavar="S",
        help=f"seconds per step, >= {StepRamp.MIN_STEP_S:g}: Locust's percentile "
        "window; each step is judged on its last 10 s (default: %(default)s)",
    )
    ramp.add_argument(
        "--stop-after-failing",
        type=int,
        default=2,
        metavar="N",
        help="end the ramp after N consecutive steps missed the SLO; 0 runs "
        "every step (default: %(default)s)",
    )


def _add_slo_flags(slo: argparse._ArgumentGroup) -> None:
    slo.add_argument(
        "--slo-ttft-p95-ms",
        type=float,
        default=_SLO.ttft_p95_ms,
        metavar="MS",
        help="TTFT p95 bound (default: %(default)s)",
    )
    slo.add_argument(
        "--slo-itl-p95-ms",
        type=float,
        default=_SLO.itl_p95_ms,
        metavar="MS",
        help="ITL p95 bound, all gaps pooled (default: %(default)s)",
    )
    slo.add_argument(
        "--slo-max-error-ratio",
        type=float,
        default=_SLO.max_error_ratio,
        metavar="R",
        help="failed streams / streams bound (default: %(default)s)",
    )


def _add_generator_flags(gen: argparse._ArgumentGroup) -> None:
    gen.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="Locust workers on 127.0.0.1 under one master; 0 runs one "
        "process (default: %(default)s)",
    )
    gen.add_argument(
        "--generator-cpus",
        metavar="LIST",
        help="pin the Locust processes with taskset (e.g. 1 or 0,2-3)",
    )
    gen.add_argument(
        "--generator-cpu-limit",
        type=float,
        default=_LIMITS.cpu_limit_pct,
        metavar="PCT",
        help="CPU %% of a core per Locust process that voids a step (default: %(default)s)",
    )
    gen.add_argument(
        "--generator-lag-p99-ms",
        type=float,
        default=_LIMITS.lag_p99_limit_ms,
        metavar="MS",
        help="Locust's own loop lag p99 that voids a step (default: %(default)s)",
    )


def _check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if args.nginx is not None and args.proxy is not None:
        parser.error("--nginx and --proxy both put a proxy in front: give one of them")
    validate_target_arguments(args, parser)
    embedded_only = (
        args.variant,
        args.upstream_ttft_ms,
        args.upstream_itl_ms,
        args.upstream_tokens,
    )
    if is_target(args) and any(v is not None for v in embedded_only):
        parser.error("--variant and --upstream-* shape the embedded default, not --app or --target")
    if not 0 <= args.workers <= 64:
        parser.error(f"--workers must be in 0..64, got {args.workers}")
    if args.stop_after_failing < 0:
        parser.error("--stop-after-failing must be >= 0")
    if args.generator_cpus is not None:
        if not _CPU_LIST.fullmatch(args.generator_cpus):
            parser.error(
                f"--generator-cpus takes a list like 1 or 0,2-3, got {args.generator_cpus!r}"
            )
        if shutil.which("taskset") is None:
            parser.error("--generator-cpus needs taskset (util-linux)")
    if args.nginx is not None:
        if args.nginx not in template_names():
            parser.error(f"unknown --nginx template {args.nginx!r} ({', '.join(template_names())})")
        if find_nginx() is None:
            parser.error("--nginx needs an nginx binary (apt-get install nginx)")


def parse_options(argv: Sequence[str], prog: str = "streamgauge capacity") -> CapacityOptions:
    """Parse and check ``argv``; exits with code 2 and a message on a bad option."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    _check(args, parser)
    try:
        ramp = StepRamp(args.start_users, args.step_users, args.max_users, args.step_s)
        slo = AggregateSLO(args.slo_ttft_p95_ms, args.slo_itl_p95_ms, args.slo_max_error_ratio)
        limits = GeneratorLimits(args.generator_cpu_limit, args.generator_lag_p99_ms)
    except ValueError as exc:
        parser.error(str(exc))
    return CapacityOptions(args, ramp, slo, limits)
