"""``streamgauge baseline`` and ``streamgauge gate``: a CI regression gate.

``baseline --out FILE`` measures the service under test (the embedded
reference, or ``--target URL`` with the ``--mock URL`` it streams from) and
records numbers, settings and environment. ``gate --baseline FILE`` measures
again the same way and compares with :mod:`loadtests.gate.rules`'s rules.

Exit codes: 0 pass, 1 regression, 2 usage or environment error (bad flags,
missing nginx the baseline relied on, or the load generator itself saturated:
never a false pass, never a false regression).
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

from ..client.endpoints import Endpoint, mock_endpoint, service_endpoint
from ..gate import rules as gate
from ..scenarios.blocking import run_blocking
from ..scenarios.buffering import ProxyPath, run_buffering
from ..scenarios.disconnect import MODES, run_disconnect
from ..scenarios.ttft import run_ttft
from ..systems.environment import Environment, embedded, external
from ..systems.nginx import find_nginx

EXIT_PASS, EXIT_REGRESSION, EXIT_ENV = 0, 1, 2
GATE_PATHS = (
    ProxyPath("direct", None, "target"),
    ProxyPath("nginx_defaults", "defaults", "target"),
    ProxyPath("nginx_gzip", "gzip", "target", client_gzip=True),
)


class GateEnvironmentError(Exception):
    """The measurement cannot be trusted or cannot run: exit 2."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", metavar="URL", help="base URL of the service under test")
    p.add_argument("--target-path", default="/chat/stream", help="streaming POST path")
    p.add_argument("--mock", metavar="URL", help="the mock_llm the target streams from")
    p.add_argument("--no-proxy", action="store_true", help="skip the nginx buffering checks")


def baseline_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Record a gate baseline.")
    p.add_argument("--out", type=Path, required=True, help="baseline JSON to write")
    _common(p)
    return p


def gate_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Compare against a gate baseline.")
    p.add_argument("--baseline", type=Path, required=True, help="baseline JSON to compare with")
    p.add_argument("--markdown", type=Path, help="also write the table as Markdown (PR comment)")
    p.add_argument("--json", type=Path, help="also write the checks as JSON")
    p.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="extra measurements when a check is not a clear pass (default 2)",
    )
    _common(p)
    return p


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if (args.target is None) != (args.mock is None):
        parser.error(
            "--target and --mock go together (the ledger of the target's upstream "
            "is how disconnect savings are measured)"
        )
    for url in (args.target, args.mock):
        if url is not None and not url.startswith("http://"):
            parser.error(f"expected an http:// URL, got {url!r}")


@contextlib.contextmanager
def _environment(args: argparse.Namespace) -> Iterator[tuple[Environment, Endpoint]]:
    if args.target:
        env = external(args.target, args.mock)
        yield env, service_endpoint("target", args.target, args.target_path)
        return
    with tempfile.TemporaryDirectory() as tmp, embedded(["reference"], Path(tmp)) as env:
        yield env, service_endpoint("target", env.services["reference"])


async def measure(env: Environment, target: Endpoint, proxy: bool) -> dict[str, Any]:
    """One measurement of everything the gate checks; raises GateEnvironmentError if invalid."""
    assert env.mock_url is not None
    shape = True  # gate targets must forward X-Mock-* headers or use the mock's defaults
    out: dict[str, Any] = {"invalid": []}
    ttft = await run_ttft([target], direct=mock_endpoint(env.mock_url), shape_upstream=shape)
    t = ttft.numbers["target"]
    out["ttft"] = {
        "ratio": t.get("ttft_p50_over_direct"),
        "p50_ms": t["ttft_ms"]["p50"],
        "p99_ms": t["ttft_ms"]["p99"],
        "direct_p50_ms": ttft.numbers["direct_to_mock"]["ttft_ms"]["p50"],
    }
    blk = await run_blocking([target], shape_upstream=shape)
    b = blk.numbers["target"]
    out["blocking"] = {
        "healthz_p99_ms": b["probe"]["latency_ms"]["p99"],
        "ttft_spread_ms": b["ttft_spread_ms"],
    }
    # A service that serves one stream at a time would take minutes to work
    # through 100 simultaneous users, and has already failed the blocking checks.
    serialized = (b["ttft_spread_ms"] or 0) > gate.Tolerances().serial_spread_ms
    modes = ("close_after", "stop_reading") if serialized else MODES
    dc = await run_disconnect([target], mock_url=env.mock_url, shape_upstream=shape, modes=modes)
    out["disconnect"] = {
        subject.split("/", 1)[1]: {
            "tokens_after_max": n["tokens_after_leaving_max"],
            "upstream_close_ms": n["upstream_closed_after_ms"]["max"],
        }
        for subject, n in dc.numbers.items()
    }
    results = [ttft, blk, dc]
    if proxy:
        buf = await run_buffering(
            {"target": target.base_url}, paths=GATE_PATHS, shape_upstream=shape
        )
        if buf.skipped:
            raise GateEnvironmentError(buf.skipped)
        out["buffering"] = dict(buf.verdicts)
        results.append(buf)
    for result in results:
        out["invalid"].extend(f"{result.name}: {r}" for r in result.invalid_reasons)
    return out


def compare(base: dict[str, Any], now: dict[str, Any], tol: gate.Tolerances) -> list[gate.Check]:
    checks = gate.ttft_checks(base["ttft"], now["ttft"], tol)
    checks += gate.blocking_checks(now["blocking"], base["blocking"], tol)
    checks += gate.disconnect_checks(now["disconnect"], base["disconnect"], tol)
    if "buffering" in base:
        checks += gate.buffering_checks(now.get("buffering", {}), base["buffering"])
    return checks


def best_of(attempts: list[list[gate.Check]]) -> list[gate.Check]:
    """Per check, the best verdict over attempts: noise fails once, a regression every time."""
    rank = {"pass": 0, "borderline": 1, "fail": 2}
    best: dict[str, gate.Check] = {}
    for checks in attempts:
        for check in checks:
            kept = best.get(check.name)
            if kept is None or rank[check.verdict] < rank[kept.verdict]:
                best[check.name] = check
    # A check still borderline after every repeat is a regression.
    return [
        c
        if c.verdict != "borderline"
        else gate.Check(c.name, c.baseline, c.now, c.limit, "fail", "borderline in every attempt")
        for c in best.values()
    ]


def _failed_twice(previous: list[gate.Check], last: list[gate.Check]) -> bool:
    before = {c.name for c in previous if c.verdict == "fail"}
    return any(c.verdict == "fail" and c.name in before for c in last)


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
        with _environment(args) as (env, target):
            numbers = uvloop.run(measure(env, target, proxy))
    except GateEnvironmentError as exc:
        console.print(f"[red]cannot measure:[/] {exc}")
        return EXIT_ENV
    if numbers["invalid"]:
        console.print("[red]invalid measurement:[/] " + "; ".join(numbers["invalid"]))
        return EXIT_ENV
    doc = {
        "gate_schema_version": gate.GATE_SCHEMA_VERSION,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["streamgauge", "baseline", *argv]),
        "target": args.target or "embedded reference",
        "environment": _environment_info(),
        "numbers": numbers,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    console.print(f"wrote {args.out}")
    return EXIT_PASS


def run_gate(argv: Sequence[str], prog: str = "streamgauge gate") -> int:
    parser = gate_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console()
    try:
        base_doc = json.loads(args.baseline.read_text())
        base = base_doc["numbers"]
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"[red]cannot read baseline {args.baseline}:[/] {exc}")
        return EXIT_ENV
    proxy = "buffering" in base and not args.no_proxy
    if proxy and find_nginx() is None:
        console.print(
            "[red]the baseline has proxy checks but nginx is not installed[/] "
            "(install nginx or pass --no-proxy)"
        )
        return EXIT_ENV
    tol = gate.Tolerances()
    attempts: list[list[gate.Check]] = []
    started = time.monotonic()
    with _environment(args) as (env, target):
        for attempt in range(1 + max(0, args.repeats)):
            console.print(f"gate measurement {attempt + 1} ...")
            try:
                now = uvloop.run(measure(env, target, proxy))
            except GateEnvironmentError as exc:
                console.print(f"[red]cannot measure:[/] {exc}")
                return EXIT_ENV
            if now["invalid"]:
                console.print(
                    "[yellow]invalid measurement, repeating:[/] " + "; ".join(now["invalid"])
                )
                continue
            attempts.append(compare(base, now, tol))
            if gate.overall(best_of(attempts)) == "pass" or gate.overall(attempts[-1]) == "pass":
                break
            if len(attempts) >= 2 and _failed_twice(attempts[-2], attempts[-1]):
                break  # the same check clearly failed twice in a row: not noise
    if not attempts:
        console.print("[red]every measurement was invalid (the load generator saturated?)[/]")
        return EXIT_ENV
    checks = best_of(attempts)
    verdict = gate.overall(checks)
    table = Table(
        title=f"streamgauge gate: {verdict.upper()} ({len(attempts)} measurement(s), "
        f"{time.monotonic() - started:.0f} s)"
    )
    for column in ("check", "baseline", "now", "limit", "verdict"):
        table.add_column(column)
    for c in checks:
        color = {"pass": "green", "fail": "red", "borderline": "yellow"}[c.verdict]
        table.add_row(c.name, str(c.baseline), str(c.now), c.limit, f"[{color}]{c.verdict}[/]")
    console.print(table)
    if args.markdown:
        args.markdown.write_text(gate.markdown(checks))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "gate_schema_version": gate.GATE_SCHEMA_VERSION,
                    "verdict": verdict,
                    "attempts": len(attempts),
                    "baseline": str(args.baseline),
                    "checks": [c.as_dict() for c in checks],
                },
                indent=2,
            )
            + "\n"
        )
    return EXIT_PASS if verdict == "pass" else EXIT_REGRESSION


if __name__ == "__main__":
    sys.exit(run_gate(sys.argv[1:]))
