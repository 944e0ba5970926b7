"""``streamgauge baseline`` and ``streamgauge gate``: a CI regression gate.

``baseline --out FILE`` measures the service under test (the embedded reference;
``--app MODULE:ATTR``, started in front of a mock of its own; or ``--target URL`` with
the ``--mock URL`` it streams from; the flags of :mod:`.target_options`, shapes
included) and records numbers, settings and environment. ``gate --baseline FILE``
measures again the same way and compares with :mod:`loadtests.gate.rules`'s rules.

Exit codes: 0 pass, 1 regression, 2 usage or environment error (bad flags,
missing nginx the baseline relied on, a service that did not start, or the load
generator itself saturated: never a false pass, never a false regression).
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
from pathlib import Path
from typing import Any

import uvloop
from rich.console import Console
from rich.table import Table

from ..client.endpoints import Endpoint, service_endpoint
from ..gate import rules as gate
from ..gate.measure import GateEnvironmentError, measure
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


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-proxy",
        action="store_true",
        help="skip the nginx buffering checks (--proxy is another thing: a proxy in front "
        "of your service, measured as part of it)",
    )
    add_target_arguments(p)


def baseline_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Record a gate baseline.")
    p.add_argument("--out", type=Path, metavar="FILE", required=True, help="baseline JSON to write")
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


@contextlib.contextmanager
def _environment(args: argparse.Namespace, say: Say) -> Iterator[tuple[Environment, Endpoint]]:
    """The service under test and its endpoint (URL, shapes, path, model); always stopped."""
    with tempfile.TemporaryDirectory() as tmp:
        if is_target(args):
            with target_environment(args, Path(tmp), say) as env:
                yield env, aimed(target_endpoint(args), env, args, say)
            return
        with embedded(["reference"], Path(tmp)) as env:
            yield env, service_endpoint("target", env.services["reference"])


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


def run_baseline(argv: Sequence[str], prog: str = "streamgauge baseline") -> int:
    parser = baseline_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console(stderr=True)
    proxy = not args.no_proxy and find_nginx() is not None
    if not args.no_proxy and not proxy:
        console.print("[yellow]nginx not found: the baseline has no proxy checks[/]")
    console.print("measuring the baseline ...")
    try:
        with _environment(args, console.print) as (env, target):
            numbers = uvloop.run(measure(env, target, proxy))
    except (GateEnvironmentError, ServerStartError, TargetError) as exc:
        console.print(f"[red]cannot measure:[/] {exc}")
        return EXIT_ENV
    if numbers["invalid"]:
        console.print("[red]invalid measurement:[/] " + "; ".join(numbers["invalid"]))
        return EXIT_ENV
    doc = {
        "gate_schema_version": gate.GATE_SCHEMA_VERSION,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["streamgauge", "baseline", *argv]),
        "target": env.described_as if is_target(args) else "embedded reference",
        "shapes": _shapes(target),
        "environment": _environment_info(),
        "numbers": numbers,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    console.print(f"wrote {args.out}")
    return EXIT_PASS


def _read_baseline(path: Path) -> dict[str, Any]:
    try:
        numbers: dict[str, Any] = json.loads(path.read_text())["numbers"]
    except (OSError, ValueError, KeyError) as exc:
        raise GateEnvironmentError(f"cannot read baseline {path}: {exc}") from exc
    return numbers


def _needs_proxy(base: dict[str, Any], no_proxy: bool) -> bool:
    proxy = "buffering" in base and not no_proxy
    if proxy and find_nginx() is None:
        raise GateEnvironmentError(
            "the baseline has proxy checks but nginx is not installed "
            "(install nginx or pass --no-proxy)"
        )
    return proxy


def _attempts(
    args: argparse.Namespace, base: dict[str, Any], proxy: bool, console: Console
) -> list[list[gate.Check]]:
    """Measure until the verdict is clear: a pass, or the same check failing twice."""
    tol = gate.Tolerances()
    attempts: list[list[gate.Check]] = []
    with _environment(args, console.print) as (env, target):
        for attempt in range(1 + max(0, args.repeats)):
            console.print(f"gate measurement {attempt + 1} ...")
            now = uvloop.run(measure(env, target, proxy))
            if now["invalid"]:
                console.print(
                    "[yellow]invalid measurement, repeating:[/] " + "; ".join(now["invalid"])
                )
                continue
            attempts.append(gate.compare(base, now, tol))
            if (
                gate.overall(gate.best_of(attempts)) == "pass"
                or gate.overall(attempts[-1]) == "pass"
            ):
                break
            if len(attempts) >= 2 and gate.failed_twice(attempts[-2], attempts[-1]):
                break  # the same check clearly failed twice in a row: not noise
    return attempts


def _print_table(console: Console, checks: list[gate.Check], title: str) -> None:
    table = Table(title=title)
    for column in ("check", "baseline", "now", "limit", "verdict"):
        table.add_column(column)
    for c in checks:
        color = {"pass": "green", "fail": "red", "borderline": "yellow"}[c.verdict]
        table.add_row(c.name, str(c.baseline), str(c.now), c.limit, f"[{color}]{c.verdict}[/]")
    console.print(table)


def _write_outputs(
    args: argparse.Namespace, checks: list[gate.Check], verdict: str, n_attempts: int
) -> None:
    if args.markdown:
        args.markdown.write_text(gate.markdown(checks))
    if args.json:
        doc = {
            "gate_schema_version": gate.GATE_SCHEMA_VERSION,
            "verdict": verdict,
            "attempts": n_attempts,
            "baseline": str(args.baseline),
            "checks": [c.as_dict() for c in checks],
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n")


def run_gate(argv: Sequence[str], prog: str = "streamgauge gate") -> int:
    parser = gate_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console()
    started = time.monotonic()
    try:
        base = _read_baseline(args.baseline)
        proxy = _needs_proxy(base, args.no_proxy)
        attempts = _attempts(args, base, proxy, console)
    except (GateEnvironmentError, ServerStartError, TargetError) as exc:
        console.print(f"[red]cannot measure:[/] {exc}")
        return EXIT_ENV
    if not attempts:
        console.print("[red]every measurement was invalid (the load generator saturated?)[/]")
        return EXIT_ENV
    checks = gate.best_of(attempts)
    verdict = gate.overall(checks)
    title = (
        f"streamgauge gate: {verdict.upper()} ({len(attempts)} measurement(s), "
        f"{time.monotonic() - started:.0f} s)"
    )
    _print_table(console, checks, title)
    _write_outputs(args, checks, verdict, len(attempts))
    return EXIT_PASS if verdict == "pass" else EXIT_REGRESSION


if __name__ == "__main__":
    sys.exit(run_gate(sys.argv[1:]))
