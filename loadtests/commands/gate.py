"""``streamgauge baseline`` and ``streamgauge gate``: a CI regression gate.

``baseline --out FILE`` measures the service under test ``--runs`` times (the embedded
reference; ``--app MODULE:ATTR``, started in front of a mock of its own; or ``--target URL``
with the ``--mock URL`` it streams from; the flags of :mod:`.target_options`, shapes
included) and records every run, per check its value and spread (:mod:`loadtests.gate.baseline`),
settings and environment. ``gate --baseline FILE`` measures again the same way and judges
each check by :mod:`loadtests.gate.rules`.

Exit codes blame the right party: 0 pass; 1 the service regressed (its streams fail, end
without a terminator, return errors, or a check fails; ``baseline``: the service fails an
invariant); 2 the harness: bad flags, an unusable baseline, nginx missing while the baseline
needs it, a service that cannot be started, or the harness's own control (direct-to-mock
streams, its loop lag) out of bounds, with that evidence printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from rich.console import Console

from ..client.endpoints import Endpoint, service_endpoint
from ..gate import baseline as gate_baseline
from ..gate import report
from ..gate import rules as gate
from ..gate.measure import GateEnvironmentError, measure
from ..gate.readings import harness_evidence
from ..systems.environment import Environment, embedded
from ..systems.nginx import find_nginx
from ..systems.processes import ServerStartError
from .target_options import (
    Say,
    TargetError,
    add_target_arguments,
    aimed,
    is_target,
    target_endpoint,
    target_environment,
    validate_target_arguments,
)

EXIT_PASS, EXIT_REGRESSION, EXIT_ENV = 0, 1, 2
# Extra measurements ``baseline`` makes when the harness's own control was out of bounds.
INVALID_RETRIES = 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-proxy",
        action="store_true",
        help="skip the nginx buffering checks (--proxy is another thing: a proxy in front "
        "of your service, measured as part of it)",
    )
    p.add_argument(
        "--pid",
        type=int,
        metavar="PID",
        default=None,
        help="the process id of your --target (enables CPU per token, RSS and connection "
        "growth; --app and the embedded service are known)",
    )
    add_target_arguments(p)


def baseline_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Record a gate baseline.")
    p.add_argument("--out", type=Path, metavar="FILE", required=True, help="baseline JSON to write")
    p.add_argument(
        "--runs",
        type=int,
        metavar="K",
        default=gate_baseline.MIN_RUNS,
        help="measurements to record; each check keeps their median and spread "
        "(default and minimum %(default)s)",
    )
    p.add_argument(
        "--accept-failing",
        action="store_true",
        help="record the baseline even if the service fails an invariant (marked in the file "
        "and in the gate's output; the gate then holds it to no worse than the baseline)",
    )
    _common(p)
    return p


def gate_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Compare against a gate baseline.")
    p.add_argument(
        "--baseline", type=Path, metavar="FILE", required=True, help="baseline JSON to compare with"
    )
    p.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="also write the table as Markdown (PR comment)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the checks as JSON")
    p.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        default=2,
        help="extra measurements when a check is not a clear pass (default 2)",
    )
    _common(p)
    return p


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    validate_target_arguments(args, parser)
    if args.target and not args.mock:
        parser.error(
            "--target and --mock go together (the ledger of the target's upstream "
            "is how disconnect savings are measured)"
        )
    if args.pid is not None and not args.target:
        parser.error("--pid names the process of --target (--app and the embedded are known)")
    if getattr(args, "runs", gate_baseline.MIN_RUNS) < gate_baseline.MIN_RUNS:
        parser.error(
            f"--runs must be at least {gate_baseline.MIN_RUNS}: a check's spread needs three runs"
        )


@contextlib.contextmanager
def _environment(
    args: argparse.Namespace, say: Say
) -> Iterator[tuple[Environment, Endpoint, int | None]]:
    """The service under test, its endpoint and its pid if known; always stopped."""
    with tempfile.TemporaryDirectory() as tmp:
        if is_target(args):
            with target_environment(args, Path(tmp), say) as env:
                pid = env.service_pid if args.pid is None else args.pid
                yield env, aimed(target_endpoint(args), env, args, say), pid
            return
        with embedded(["reference"], Path(tmp)) as env:
            url = env.services["reference"]
            pid = next((p.pid for p in env.processes if p.url == url), None)
            yield env, service_endpoint("target", url), pid


def _measure(env: Environment, target: Endpoint, proxy: bool, pid: int | None) -> dict[str, Any]:
    return uvloop.run(measure(env, target, proxy=proxy, service_pid=pid))


def _shapes(target: Endpoint) -> dict[str, Any]:
    """How the baseline's streams were sent and read (header names only: they carry auth)."""
    return {
        "path": target.url.removeprefix(target.base_url),
        "request": target.request.name,
        "template": target.request.template,
        "headers": [name for name, _ in target.request.headers],
        "response": target.response.label,
        "model": target.model if target.request.preset.startswith("openai") else None,
    }


def _environment_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "nginx": find_nginx(),
    }


def _baseline_runs(
    args: argparse.Namespace, proxy: bool, console: Console
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``--runs`` valid measurements and what was measured; GateEnvironmentError if invalid."""
    runs: list[dict[str, Any]] = []
    invalid = 0
    with _environment(args, console.print) as (env, target, pid):
        about = {
            "target": env.described_as if is_target(args) else "embedded reference",
            "service_pid_known": pid is not None,
            "shapes": _shapes(target),
        }
        while len(runs) < args.runs:
            console.print(f"baseline measurement {len(runs) + 1} of {args.runs} ...")
            numbers = _measure(env, target, proxy, pid)
            if evidence := harness_evidence(numbers):
                invalid += 1
                console.print("[yellow]the harness's own control failed:[/] " + "; ".join(evidence))
                if invalid > INVALID_RETRIES:
                    raise GateEnvironmentError(
                        "the harness's own control failed in "
                        f"{invalid} measurements: " + "; ".join(evidence)
                    )
                continue
            runs.append(numbers)
    return runs, about


def run_baseline(argv: Sequence[str], prog: str = "streamgauge baseline") -> int:
    parser = baseline_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console(stderr=True)
    proxy = not args.no_proxy and find_nginx() is not None
    if not args.no_proxy and not proxy:
        console.print("[yellow]nginx not found: the baseline has no proxy checks[/]")
    try:
        runs, about = _baseline_runs(args, proxy, console)
    except (GateEnvironmentError, ServerStartError, TargetError) as exc:
        console.print(f"[red]cannot measure:[/] {exc}")
        return EXIT_ENV
    checks = gate_baseline.stats(runs)
    failing = gate.baseline_failures(checks)
    for text in report.baseline_table(checks, {c.name for c in failing}):
        _print(console, text)
    if failing and not args.accept_failing:
        console.print(
            f"[red]the service fails {len(failing)} invariant(s) at baseline:[/] a baseline "
            "must be a service that works. Fix them, or record anyway with --accept-failing "
            "(the gate then holds them to no worse than this baseline). Nothing written."
        )
        for c in failing:
            console.print(f"  {c.name} = {gate.fmt(c.now, c.unit)} (invariant {c.limit})")
        return EXIT_REGRESSION
    doc = gate_baseline.document(
        runs,
        accepted_failing=[c.name for c in failing],
        about={
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": " ".join(["streamgauge", "baseline", *argv]),
            **about,
            "environment": _environment_info(),
        },
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    if failing:
        console.print("[yellow]" + report.accepted_note([c.name for c in failing]) + "[/]")
    console.print(f"wrote {args.out} ({len(runs)} runs, {len(doc['checks'])} checks)")
    return EXIT_PASS


def _read_baseline(path: Path) -> gate_baseline.Baseline:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise gate_baseline.BaselineError(f"cannot read baseline {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise gate_baseline.BaselineError(f"{path} is not a gate baseline")
    return gate_baseline.load(doc, str(path))


def _needs_proxy(base: gate_baseline.Baseline, no_proxy: bool) -> bool:
    proxy = base.proxy and not no_proxy
    if proxy and find_nginx() is None:
        raise GateEnvironmentError(
            "the baseline has proxy checks but nginx is not installed "
            "(install nginx or pass --no-proxy)"
        )
    return proxy


@dataclass
class _Attempts:
    """The valid attempts' checks, the harness's evidence of the invalid ones, and what
    the service itself broke in the last valid one (``service_failures``)."""

    checks: list[list[gate.Check]] = field(default_factory=list)
    harness: list[str] = field(default_factory=list)
    service_failures: list[str] = field(default_factory=list)


def _attempts(
    args: argparse.Namespace, base: gate_baseline.Baseline, proxy: bool, console: Console
) -> _Attempts:
    """Measure until the verdict is clear: a pass, or the same check failing twice."""
    tol = gate.Tolerances()
    result = _Attempts()
    attempts, evidence = result.checks, result.harness
    with _environment(args, console.print) as (env, target, pid):
        for attempt in range(1 + max(0, args.repeats)):
            console.print(f"gate measurement {attempt + 1} ...")
            now = _measure(env, target, proxy, pid)
            if problems := harness_evidence(now):
                evidence += problems
                console.print("[yellow]the harness's own control failed, repeating:[/]")
                for p in problems:
                    console.print(f"  {p}", markup=False, highlight=False)
                continue
            attempts.append(gate.compare(base.checks, now, tol))
            result.service_failures = [str(f) for f in now.get("service_failures") or []]
            if (
                gate.overall(gate.best_of(attempts)) == "pass"
                or gate.overall(attempts[-1]) == "pass"
            ):
                break
            if len(attempts) >= 2 and gate.failed_twice(attempts[-2], attempts[-1]):
                break  # the same check clearly failed twice in a row: not noise
    return result


def _print(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _show(
    console: Console,
    checks: list[gate.Check],
    title: str,
    accepted: Sequence[str],
    service_failures: Sequence[str],
) -> None:
    _print(console, title)
    for text in report.table(checks):
        _print(console, text)
    if fails := report.failures(checks):
        _print(console, "")
        _print(console, "what failed, and where to look:")
        for text in fails:
            _print(console, f"- {text}")
    if service_failures:
        _print(console, "what the service broke during the measurement:")
        for text in service_failures:
            _print(console, f"- {text}")
    if accepted:
        _print(console, report.accepted_note(accepted))


def run_gate(argv: Sequence[str], prog: str = "streamgauge gate") -> int:
    parser = gate_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console()
    started = time.monotonic()
    try:
        base = _read_baseline(args.baseline)
        if args.no_proxy:
            base = base.without_proxy()
        proxy = _needs_proxy(base, args.no_proxy)
        measured = _attempts(args, base, proxy, console)
    except (
        gate_baseline.BaselineError,
        GateEnvironmentError,
        ServerStartError,
        TargetError,
    ) as exc:
        console.print(f"[red]cannot measure:[/] {exc}")
        return EXIT_ENV
    attempts = measured.checks
    if not attempts:
        console.print(
            "[red]the harness's own control was out of bounds in every measurement "
            "(this is the harness, not your service):[/]"
        )
        for text in measured.harness:
            _print(console, f"  {text}")
        return EXIT_ENV
    checks = gate.best_of(attempts)
    verdict = gate.overall(checks)
    title = (
        f"streamgauge gate: {verdict.upper()} ({len(attempts)} measurement(s), "
        f"{time.monotonic() - started:.0f} s, baseline {args.baseline}: {base.target})"
    )
    _show(console, checks, title, base.accepted_failing, measured.service_failures)
    if args.markdown:
        args.markdown.write_text(report.markdown(checks, accepted=base.accepted_failing))
    if args.json:
        doc = report.json_doc(
            checks,
            attempts=len(attempts),
            baseline=str(args.baseline),
            accepted=base.accepted_failing,
            harness=measured.harness,
            service_failures=measured.service_failures,
        )
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    return EXIT_PASS if verdict == "pass" else EXIT_REGRESSION


if __name__ == "__main__":
    sys.exit(run_gate(sys.argv[1:]))
