"""``streamgauge run``: start everything, run the four scenarios, explain the results.

With no arguments: mock_llm, one service process per variant, and nginx; about 2-3
minutes on a 2-core machine, exit 0 when every teaching bug reproduces. ``--app
MODULE:ATTR`` starts a team's own ASGI app in front of a mock_llm of its own and
measures it unmodified; ``--target URL`` measures one already running (``--mock URL``:
the mock_llm it streams from, for the ledger-based checks). Either gets one plain-word
judgement per scenario and exit 0 (ok), 1 (a problem found) or 2 (not measurable).
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import uvloop
from rich.console import Console

from ..report import files as report
from ..report import plots
from ..report.headline import embedded_headline, target_headline
from ..scenarios import expectations, judgement
from ..scenarios.result import ScenarioResult
from ..scenarios.suite import SuitePlan, run_suite
from ..systems.environment import ALL_VARIANTS, Environment, embedded
from ..systems.processes import ServerStartError
from .target_options import (
    TargetError,
    add_target_arguments,
    aimed,
    is_target,
    target_endpoint,
    target_environment,
    validate_target_arguments,
)

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
        "--out",
        type=Path,
        metavar="DIR",
        default=Path("results/runs"),
        help="where run folders go (default: %(default)s)",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    add_target_arguments(p)
    return p


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    validate_target_arguments(args, parser)
    if (args.target or args.app) and args.variants:
        parser.error("--variants selects embedded variants; not with --target or --app")


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
    if is_target(args):
        with target_environment(args, log_dir, console.print) as env:
            yield env
        return
    variants = _variants_needed(args)
    console.print(
        f"[bold]starting[/] mock_llm + {len(variants)} service variants ({', '.join(variants)}) ..."
    )
    with embedded(variants, log_dir) as env:
        yield env


def main(argv: Sequence[str] | None = None, prog: str = "streamgauge run") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console(soft_wrap=True)  # paths and numbers stay whole in logs
    run_dir = report.new_run_dir(args.out)
    command = " ".join(["streamgauge", "run", *map(shlex.quote, argv or sys.argv[2:])])
    console.print(f"[bold]streamgauge run[/] -> {run_dir}")
    plan = SuitePlan(args.scenarios, variants=args.variants)
    try:
        with _environment(args, run_dir / "logs", console) as env:
            if is_target(args):
                target = aimed(target_endpoint(args), env, args, console.print)
                plan = SuitePlan(args.scenarios, target=target)
            results = uvloop.run(run_suite(env, plan, console.print))
    except (ServerStartError, TargetError) as exc:
        console.print(f"[red]cannot measure:[/] {exc}")
        return judgement.EXIT_NOT_MEASURED
    judged = judgement.judge(results) if plan.target is not None else []
    lines = (
        target_headline(judged, env.described_as, results) if judged else embedded_headline(results)
    )
    summary_obj = report.summary(
        results,
        command=command,
        environment={
            "mode": "app" if args.app else "target" if args.target else "embedded",
            "target": args.target,
            "app": args.app,
            "mock": env.mock_url,
            "described_as": env.described_as,
        },
    )
    summary_obj["judgements"] = {j.scenario: {"word": j.word, "detail": j.detail} for j in judged}
    report.write_outputs(
        run_dir, results, summary_obj, report.report_markdown(results, lines, command)
    )
    if not args.no_plots:
        _plots(results, run_dir)
    console.print("\n[bold]Summary[/]")
    for line in lines:
        console.print(f"  - {line}")
    console.print(f"\nwrote {run_dir}/summary.json, requests.jsonl, report.md and plots")
    if judged:
        return judgement.exit_code(judged)
    return _embedded_exit_code(results, console)


def _embedded_exit_code(results: dict[str, ScenarioResult], console: Console) -> int:
    """0 every variant as expected, 1 one was not, 2 a scenario could not be measured."""
    for name, result in results.items():
        state = (
            "not measured"
            if result.skipped
            else "[green]as expected[/]"
            if result.passed
            else "[red]NOT as expected[/]"
        )
        validity = "" if result.valid or result.skipped else " [yellow](invalid measurement)[/]"
        console.print(f"  {name}: {state}{validity}")
    not_run = {name: r.skipped for name, r in results.items() if r.skipped}
    for name, reason in not_run.items():
        console.print(f"[red]{name} was not measured:[/] {reason}")
    if not_run:
        return judgement.EXIT_NOT_MEASURED
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
