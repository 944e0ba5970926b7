"""``streamgauge run``: start everything, run the four scenarios, explain the results.

With no arguments: mock_llm, one service process per variant, nginx when it
is installed; about 2-3 minutes on a 2-core machine. ``--target URL`` measures
a user's streaming endpoint instead, and ``--mock URL`` (the mock_llm that
service uses upstream) turns on the ledger-based disconnect scenario for it.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import uvloop
from rich.console import Console

from ..client.endpoints import Endpoint, mock_endpoint, service_endpoint
from ..report import files as report
from ..report import plots
from ..scenarios import expectations
from ..scenarios.blocking import run_blocking
from ..scenarios.buffering import headline as buffering_headline
from ..scenarios.buffering import paths_for, run_buffering
from ..scenarios.disconnect import run_disconnect
from ..scenarios.result import ScenarioResult
from ..scenarios.ttft import run_ttft
from ..systems.environment import ALL_VARIANTS, Environment, embedded, external

SCENARIOS: tuple[str, ...] = report.SCENARIO_KEYS


def _csv(choices: Sequence[str], what: str):  # type: ignore[no-untyped-def]
    def parse(value: str) -> list[str]:
        items = [v.strip() for v in value.split(",") if v.strip()]
        unknown = [v for v in items if v not in choices]
        if not items or unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(unknown) or repr(value)}; "
                f"choose from {', '.join(choices)}"
            )
        return items

    return parse


def build_parser(prog: str = "streamgauge run") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument(
        "--scenarios",
        type=_csv(SCENARIOS, "scenario"),
        metavar="NAME[,NAME...]",
        default=list(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)} (default: all)",
    )
    p.add_argument(
        "--variants",
        type=_csv(ALL_VARIANTS, "variant"),
        metavar="NAME[,NAME...]",
        default=None,
        help="service variants to start and measure (default: each scenario's set)",
    )
    p.add_argument(
        "--target",
        metavar="URL",
        default=None,
        help="base URL of your streaming service (instead of the embedded variants)",
    )
    p.add_argument(
        "--target-path",
        metavar="PATH",
        default="/chat/stream",
        help="streaming POST path on --target (default: %(default)s)",
    )
    p.add_argument(
        "--target-format",
        choices=["service", "openai"],
        default="service",
        help="service: {'prompt'} in, {'token'} events out; openai: chat completions",
    )
    p.add_argument(
        "--mock",
        metavar="URL",
        default=None,
        help="the mock_llm your --target uses upstream (enables disconnect savings)",
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=Path("results/runs"),
        help="where run folders go (default: %(default)s)",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    return p


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    for name in ("target", "mock"):
        url = getattr(args, name)
        if url is not None and not url.startswith("http://"):
            parser.error(f"--{name} must be an http:// URL, got {url!r}")
    if args.mock and not args.target:
        parser.error("--mock goes with --target (the embedded default starts its own mock)")
    if args.target and args.variants:
        parser.error("--variants selects embedded variants; it cannot be combined with --target")


def _variants_needed(args: argparse.Namespace) -> list[str]:
    if args.variants:
        return list(args.variants)
    needed: list[str] = []
    for scenario in args.scenarios:
        for v in expectations.DEFAULT_VARIANTS[scenario]:
            if v not in needed:
                needed.append(v)
    return needed


@contextlib.contextmanager
def _environment(
    args: argparse.Namespace, log_dir: Path, console: Console
) -> Iterator[Environment]:
    if args.target:
        yield external(args.target, args.mock)
        return
    variants = _variants_needed(args)
    console.print(
        f"[bold]starting[/] mock_llm + {len(variants)} service variants ({', '.join(variants)}) ..."
    )
    with embedded(variants, log_dir) as env:
        yield env


def _endpoints(env: Environment, args: argparse.Namespace, scenario: str) -> list[Endpoint]:
    if env.external_target:
        (url,) = env.services.values()
        fmt = args.target_format
        return [Endpoint(name="target", url=url + args.target_path, format=fmt)]
    wanted = args.variants or expectations.DEFAULT_VARIANTS[scenario]
    return [service_endpoint(v, env.services[v]) for v in wanted if v in env.services]


async def _run_scenarios(
    env: Environment, args: argparse.Namespace, console: Console
) -> dict[str, ScenarioResult]:
    results: dict[str, ScenarioResult] = {}
    shape = env.forwards_mock_headers
    for scenario in args.scenarios:
        started = time.monotonic()
        console.print(f"[bold cyan]scenario {scenario}[/] ...")
        endpoints = _endpoints(env, args, scenario)
        names = [e.name for e in endpoints]
        if scenario == "ttft":
            direct = mock_endpoint(env.mock_url) if env.mock_url else None
            table = {"target": "ok"} if env.external_target else expectations.TTFT
            result = await run_ttft(
                endpoints,
                direct=direct,
                shape_upstream=shape,
                expected=expectations.expected_for(table, [*names, "direct_to_mock"]),
            )
        elif scenario == "blocking":
            table = {"target": "ok"} if env.external_target else expectations.BLOCKING
            result = await run_blocking(
                endpoints, shape_upstream=shape, expected=expectations.expected_for(table, names)
            )
        elif scenario == "disconnect":
            if env.mock_url is None:
                result = ScenarioResult(
                    name="disconnect",
                    settings={},
                    numbers={},
                    verdicts={},
                    valid=False,
                    skipped="needs --mock: the mock_llm your "
                    "service streams from (its ledger is the ground truth)",
                )
            else:
                subjects = [
                    f"{n}/{m}" for n in names for m in ("close_after", "stop_reading", "burst")
                ]
                table = (
                    dict.fromkeys(subjects, "ok")
                    if env.external_target
                    else expectations.DISCONNECT
                )
                result = await run_disconnect(
                    endpoints,
                    mock_url=env.mock_url,
                    shape_upstream=shape,
                    expected=expectations.expected_for(table, subjects),
                )
        else:
            result = await _buffering(env, endpoints)
        results[scenario] = result
        for line in result.evidence:
            console.print(f"  {line}")
        if result.skipped:
            console.print(f"  [yellow]skipped:[/] {result.skipped}")
        console.print(f"  [dim]{time.monotonic() - started:.1f} s[/]")
    return results


async def _buffering(env: Environment, endpoints: Sequence[Endpoint]) -> ScenarioResult:
    urls = {e.name: e.base_url for e in endpoints}
    if env.external_target:
        return await run_buffering(
            urls, paths=paths_for("target"), shape_upstream=env.forwards_mock_headers
        )
    return await run_buffering(urls)


def headline(results: dict[str, ScenarioResult]) -> list[str]:
    """The few sentences a newcomer should read first."""
    lines: list[str] = []
    blk = results.get("blocking")
    if blk and "sync_client_in_async" in blk.numbers and "reference" in blk.numbers:
        bad, good = blk.numbers["sync_client_in_async"], blk.numbers["reference"]
        ttfts = ", ".join(f"{t / 1e3:.2f}" for t in bad["ttfts_ms"])
        lines.append(
            f"Sync OpenAI client inside async def: {len(bad['ttfts_ms'])} concurrent streams got "
            f"their first token at {ttfts} s (serialized); /healthz p99 "
            f"{bad['probe']['latency_ms']['p99']:.0f} ms vs "
            f"{good['probe']['latency_ms']['p99']:.0f} ms with AsyncOpenAI."
        )
    dc = results.get("disconnect")
    if dc and dc.numbers:
        per_variant: dict[str, int] = {}
        for subject, n in dc.numbers.items():
            variant = subject.split("/")[0]
            per_variant[variant] = per_variant.get(variant, 0) + n["tokens_after_leaving_total"]
        lines.append(
            "Tokens generated upstream after users left (all modes): "
            + ", ".join(f"{v} {t}" for v, t in per_variant.items())
        )
    buf = results.get("buffering")
    if buf and buf.numbers and not buf.skipped:
        lines.extend(buffering_headline(buf))
    ttft = results.get("ttft")
    if ttft and "reference" in ttft.numbers:
        ref = ttft.numbers["reference"]
        if "ttft_p50_added_ms" in ref:
            lines.append(
                f"Reference service adds {ref['ttft_p50_added_ms']:.1f} ms to TTFT p50 "
                f"over direct-to-mock ({ref['ttft_p50_over_direct']:.2f}x)."
            )
    return lines


def main(argv: Sequence[str] | None = None, prog: str = "streamgauge run") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console()
    run_dir = report.new_run_dir(args.out)
    command = " ".join(["streamgauge", "run", *map(shlex.quote, argv or sys.argv[2:])])
    console.print(f"[bold]streamgauge run[/] -> {run_dir}")
    with _environment(args, run_dir / "logs", console) as env:
        results = uvloop.run(_run_scenarios(env, args, console))
    lines = headline(results)
    summary_obj = report.summary(
        results,
        command=command,
        environment={
            "mode": "target" if args.target else "embedded",
            "target": args.target,
            "mock": args.mock,
        },
    )
    report.write_outputs(
        run_dir, results, summary_obj, report.report_markdown(results, lines, command)
    )
    if not args.no_plots:
        _plots(results, run_dir)
    console.print("\n[bold]Summary[/]")
    for line in lines:
        console.print(f"  - {line}")
    for name, result in results.items():
        state = (
            "skipped"
            if result.skipped
            else "[green]as expected[/]"
            if result.passed
            else "[red]NOT as expected[/]"
        )
        validity = "" if result.valid or result.skipped else " [yellow](invalid measurement)[/]"
        console.print(f"  {name}: {state}{validity}")
    console.print(f"\nwrote {run_dir}/summary.json, requests.jsonl, report.md and plots")
    return _exit_code(results, console)


def _exit_code(results: dict[str, ScenarioResult], console: Console) -> int:
    """0 all as expected, 1 a scenario found otherwise, 2 a scenario could not be measured."""
    not_run = {name: r.skipped for name, r in results.items() if r.skipped}
    for name, reason in not_run.items():
        console.print(f"[red]{name} was not measured:[/] {reason}")
    if not_run:
        return 2
    return 0 if all(r.passed for r in results.values()) else 1


def _plots(results: dict[str, ScenarioResult], run_dir: Path) -> None:
    ttft = results.get("ttft")
    if ttft is not None:
        plots.ttft_per_variant(ttft.numbers, run_dir / "ttft_per_variant.png")
    blk = results.get("blocking")
    if blk is not None:
        series: dict[str, Any] = {
            name: n["probe"]["series"]
            for name, n in blk.numbers.items()
            if name in ("reference", "sync_client_in_async", "target")
        }
        plots.healthz_over_time(series, run_dir / "healthz_over_time.png")
