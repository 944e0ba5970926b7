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
import dataclasses
import re
import shlex
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import uvloop
from rich.console import Console

from ..client.endpoints import Endpoint
from ..client.models import first_model_id
from ..client.shape_options import add_shape_arguments, shapes_from_args, shapes_given
from ..report import files as report
from ..report import plots
from ..report.headline import embedded_headline, target_headline
from ..scenarios import expectations, judgement
from ..scenarios.result import ScenarioResult
from ..scenarios.suite import Say, SuitePlan, run_suite
from ..systems.environment import ALL_VARIANTS, Environment, app, embedded, external
from ..systems.front_proxy import ProxySpec, find_binary, parse_proxy, running_front_proxy
from ..systems.processes import ServerStartError

SCENARIOS: tuple[str, ...] = report.SCENARIO_KEYS
_APP_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


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


def _key_value(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key.strip() or key != key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {value!r}")
    return key, val


def _proxy(value: str) -> ProxySpec:
    try:
        return parse_proxy(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
        "--app",
        metavar="MODULE:ATTR",
        default=None,
        help="your ASGI app, as uvicorn takes it (main:app): started under uvicorn with "
        "OPENAI_BASE_URL pointing at a mock_llm of its own, measured, stopped",
    )
    p.add_argument(
        "--app-dir",
        metavar="DIR",
        type=Path,
        default=Path(),
        help="where --app's module is imported from (default: the current directory)",
    )
    p.add_argument(
        "--env",
        metavar="KEY=VALUE",
        type=_key_value,
        action="append",
        default=[],
        help="an environment variable for --app (repeatable)",
    )
    p.add_argument(
        "--proxy",
        metavar="KIND:TEMPLATE",
        type=_proxy,
        default=None,
        help="put a private proxy in front of --app or --target, as you deploy it: "
        "haproxy:defaults, haproxy:no_delay, nginx:defaults, ... (deploy/)",
    )
    p.add_argument(
        "--target",
        metavar="URL",
        default=None,
        help="base URL of your running streaming service (instead of the embedded variants)",
    )
    p.add_argument(
        "--path",
        "--target-path",
        dest="target_path",
        metavar="PATH",
        default="/chat/stream",
        help="the streaming POST path of --app or --target (default: %(default)s)",
    )
    p.add_argument(
        "--model",
        metavar="MODEL",
        default=None,
        help="model id for the openai-* request shapes (default: the first id the target "
        "lists at GET /v1/models, said so)",
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
    add_shape_arguments(
        p.add_argument_group(
            "how --app or --target is called and what it returns "
            "(default: {'prompt'} in, the reply's shape decided from its first bytes)"
        )
    )
    return p


def _validate(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    for name in ("target", "mock"):
        url = getattr(args, name)
        if url is not None and not url.startswith("http://"):
            parser.error(f"--{name} must be an http:// URL, got {url!r}")
    if args.mock and not args.target:
        parser.error(
            "--mock goes with --target (the embedded default and --app start their own mock)"
        )
    if args.app and args.target:
        parser.error("--app starts your service; --target measures one already running: not both")
    if (args.target or args.app) and args.variants:
        parser.error("--variants selects embedded variants; not with --target or --app")
    if args.env and not args.app:
        parser.error("--env sets the environment of --app")
    if args.app is not None and not _APP_SPEC.fullmatch(args.app):
        parser.error(f"--app takes MODULE:ATTR (like uvicorn), got {args.app!r}")
    if args.proxy and not (args.app or args.target):
        parser.error("--proxy goes in front of --app or --target")
    if args.proxy and find_binary(args.proxy.kind) is None:
        parser.error(
            f"--proxy {args.proxy.kind} needs the {args.proxy.kind} binary "
            f"(apt-get install {args.proxy.kind})"
        )
    if shapes_given(args) and not (args.app or args.target):
        parser.error("the shape flags describe --app or --target; the embedded service is known")
    try:
        shapes_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    if not args.app_dir.is_dir():
        parser.error(f"--app-dir {args.app_dir} is not a directory")


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
    with _service(args, log_dir, console) as env:
        if args.proxy is None:
            yield env
            return
        with running_front_proxy(args.proxy, env.services["target"], log_dir / "proxy") as url:
            yield dataclasses.replace(
                env,
                services={"target": url},
                described_as=f"{env.described_as} behind {args.proxy.label}",
            )


@contextlib.contextmanager
def _service(args: argparse.Namespace, log_dir: Path, console: Console) -> Iterator[Environment]:
    if args.app:
        console.print(f"[bold]starting[/] mock_llm + your app {args.app} ...")
        with app(args.app, log_dir, app_dir=args.app_dir, extra_env=dict(args.env)) as env:
            yield env
        return
    if args.target:
        yield external(args.target, args.mock)
        return
    variants = _variants_needed(args)
    console.print(
        f"[bold]starting[/] mock_llm + {len(variants)} service variants ({', '.join(variants)}) ..."
    )
    with embedded(variants, log_dir) as env:
        yield env


def _plan(args: argparse.Namespace) -> SuitePlan:
    if not (args.target or args.app):
        return SuitePlan(args.scenarios, variants=args.variants)
    request, response = shapes_from_args(args)
    target = Endpoint(name="target", url="", request=request, response=response)
    return SuitePlan(args.scenarios, target=target)


def _aimed(plan: SuitePlan, env: Environment, args: argparse.Namespace, say: Say) -> SuitePlan:
    """The plan with the target's URL, and its model when an openai-* shape needs one."""
    if plan.target is None:
        return plan
    base = env.services["target"]
    target = dataclasses.replace(plan.target, url=base + args.target_path)
    if target.request.preset.startswith("openai"):
        model = args.model or first_model_id(base)
        if model is None:
            raise TargetError(f"{base}/v1/models lists no model: pass --model")
        if args.model is None:
            say(f"model: {model} (the first id of GET {base}/v1/models; --model to choose)")
        target = dataclasses.replace(target, model=model)
    return dataclasses.replace(plan, target=target)


class TargetError(Exception):
    """The target cannot be measured as described: exit 2."""


def main(argv: Sequence[str] | None = None, prog: str = "streamgauge run") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    _validate(args, parser)
    console = Console()
    run_dir = report.new_run_dir(args.out)
    command = " ".join(["streamgauge", "run", *map(shlex.quote, argv or sys.argv[2:])])
    console.print(f"[bold]streamgauge run[/] -> {run_dir}")
    plan = _plan(args)
    try:
        with _environment(args, run_dir / "logs", console) as env:
            plan = _aimed(plan, env, args, console.print)
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
