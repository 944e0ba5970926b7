"""``streamgauge capacity``: the largest concurrency that meets the SLO, found by Locust.

Starts the embedded default (mock_llm + the ``reference`` service; ``--variant`` picks
another), starts ``--app`` in front of a mock of its own, or measures ``--target``,
optionally through a private proxy (``--nginx``, ``--proxy``), and runs the Locust
suite headless in its own processes with a step ramp (:mod:`loadtests.capacity.ramp`),
its users sending and reading the target's shapes (:mod:`loadtests.capacity.system`).
Each step is judged against the SLO; the knee is the last step before the first one
that misses it (:mod:`loadtests.capacity.knee`). Writes Locust's CSV/JSON/HTML,
``capacity.json`` (with what the mock upstream saw, when one is known) and
``capacity.png`` to ``results/runs/<UTC timestamp>/``. Exit code: 0 for a valid result,
1 when the load generator saturated (the knee may be its own) or nothing was measured,
2 for bad options (:mod:`loadtests.capacity.options`) or a service that could not be
started or aimed at.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.status import Status
from rich.table import Table

from ..capacity.knee import CapacityResult, analyze, step_results
from ..capacity.options import CapacityOptions, parse_options
from ..capacity.plot import plot_capacity
from ..capacity.ramp import Progress, RampPlan, RampRun, run_ramp
from ..capacity.system import System, running_system, suite_shape_args
from ..capacity.upstream import mock_counters, upstream_line, upstream_summary
from ..load.locust_process import (
    LOCUSTFILE,
    SHAPE_FILES,
    LocustOutputs,
    locust_argvs,
)
from ..load.locust_stats import parse_stats_json
from ..metrics import METRICS_CONTRACT_VERSION
from ..report import files as report
from ..systems.processes import ServerStartError
from .target_options import TargetError

__all__ = ["main"]

#: A service that did not start, or a target without a model to name (as ``run``).
EXIT_NOT_MEASURED = 2
#: Users still streaming when the ramp ends get this long to finish (Locust's ``-s``).
_STOP_TIMEOUT_S = 5.0
_USER_CLASSES = ["StreamingUser"]


def _suite_args(opts: CapacityOptions, system: System) -> list[str]:
    ramp = opts.ramp
    return [
        "--no-slo-check",
        *suite_shape_args(system.endpoint),
        "--ramp-start-users", str(ramp.start_users),
        "--ramp-step-users", str(ramp.step_users),
        "--ramp-max-users", str(ramp.max_users),
        "--ramp-step-s", f"{ramp.step_s:g}",
    ]  # fmt: skip


def _plan(opts: CapacityOptions, system: System, run_dir: Path) -> RampPlan:
    files = [LOCUSTFILE, SHAPE_FILES["step"]]
    suite = _suite_args(opts, system)
    outputs = LocustOutputs(run_dir)
    main_argv, worker_argvs = locust_argvs(
        files=files,
        user_classes=_USER_CLASSES,
        suite_args=suite,
        workers=opts.args.workers,
        host=system.host,
        # The shape ends the test; the run time only bounds it.
        run_time_s=opts.ramp.duration_s + 10,
        stop_timeout_s=_STOP_TIMEOUT_S,
        outputs=outputs,
    )
    if opts.args.generator_cpus is not None:
        # taskset execs Locust: same PID, so the CPU watch still sees the right process.
        pin = ["taskset", "-c", opts.args.generator_cpus]
        main_argv = [*pin, *main_argv]
        worker_argvs = [[*pin, *argv] for argv in worker_argvs]
    return RampPlan(
        ramp=opts.ramp,
        slo=opts.slo,
        limits=opts.limits,
        stop_after_failing=opts.args.stop_after_failing,
        main_argv=main_argv,
        worker_argvs=worker_argvs,
        outputs=outputs,
        timeout_s=opts.ramp.duration_s + 90,
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _table(result: CapacityResult) -> Table:
    table = Table(title="steps (each judged on its last 10 s)")
    for col in ("users", "streams", "failed", "TTFT p50", "TTFT p95", "ITL p50", "ITL p95",
                "tok/s", "gen CPU%", "gen lag p99", "SLO"):  # fmt: skip
        table.add_column(col, justify="right")
    for s in result.steps:
        verdict = "[green]met[/]" if s.meets_slo else "[red]missed[/]"
        table.add_row(
            str(s.users), str(s.streams), str(s.failed_streams),
            _fmt(s.ttft_p50_ms), _fmt(s.ttft_p95_ms), _fmt(s.itl_p50_ms), _fmt(s.itl_p95_ms),
            _fmt(s.tokens_per_s), _fmt(s.generator_cpu_pct), _fmt(s.lag_p99_ms),
            verdict + (" [yellow]![/]" if s.saturated else ""),
        )  # fmt: skip
    return table


def _progress(status: Status, n_steps: int) -> Any:
    def show(p: Progress) -> None:
        step = "ramping" if p.step_index is None else f"step {p.step_index + 1}/{n_steps}"
        users = "-" if p.users is None else str(p.users)
        status.update(
            f"{p.elapsed_s:4.0f} s  {step}  users {users}  TTFT p95 {_fmt(p.ttft_p95_ms)} ms"
            f"  Locust CPU {_fmt(p.generator_cpu_pct)}%"
        )

    return show


def _analyze(opts: CapacityOptions, run: RampRun) -> CapacityResult:
    levels = opts.ramp.levels
    if run.stopped_early is not None and run.rows:
        # The step in progress when the run was stopped has no full window: leave it out.
        levels = tuple(u for u in levels if u < max(r.user_count for r in run.rows))
    steps = step_results(run.rows, levels, cpu=run.cpu, slo=opts.slo, limits=opts.limits)
    return analyze(steps, opts.slo)


def _shapes(system: System) -> dict[str, object]:
    """How the Locust users called and read the service (header names only: auth)."""
    endpoint = system.endpoint
    return {
        "path": endpoint.url.removeprefix(endpoint.base_url),
        "request": endpoint.request.name,
        "template": endpoint.request.template,
        "headers": [name for name, _ in endpoint.request.headers],
        "response": endpoint.response.label,
        "model": endpoint.model if endpoint.request.preset.startswith("openai") else None,
    }


def _summary(
    opts: CapacityOptions, command: str, *, system: System, plan: RampPlan, run: RampRun,
    result: CapacityResult, png: Path | None, upstream: dict[str, object] | None,
) -> dict[str, object]:  # fmt: skip
    args = opts.args
    return {
        "command": command,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "metrics_contract": METRICS_CONTRACT_VERSION,
        "system": {
            "described_as": system.described_as,
            "app": args.app,
            "target": args.target,
            "mock": system.env.mock_url,
            "variant": opts.variant,
            "nginx": args.nginx,
            "proxy": args.proxy.label if args.proxy else None,
            "upstream_flags": opts.mock_flags,
            "host": system.host,
            "shapes": _shapes(system),
        },
        "upstream": upstream,
        "slo": asdict(opts.slo),
        "ramp": {**asdict(opts.ramp), "levels": list(opts.ramp.levels)},
        "generator_limits": asdict(opts.limits),
        "workers": args.workers,
        "generator_cpus": args.generator_cpus,
        "locust_exit_code": run.exit_code,
        "stopped_early": run.stopped_early,
        **result.to_dict(),
        "files": {
            "plot": str(png) if png else None,
            "locust_json": str(plan.outputs.json_file),
            "locust_html": str(plan.outputs.html),
            "locust_history_csv": str(plan.outputs.history_csv),
        },
    }


def _report(console: Console, result: CapacityResult, run: RampRun) -> None:
    console.print(_table(result))
    missed = next((s for s in result.steps if s.slo_violations), None)
    if missed is not None:
        console.print(f"  {missed.users} users missed: {'; '.join(missed.slo_violations)}")
    if run.stopped_early:
        console.print(f"[dim]{run.stopped_early}[/]")
    if result.knee_users is None:
        console.print("[bold red]no step met the SLO[/]")
    else:
        above = " (met at every step: the knee is higher)" if result.knee_above_range else ""
        console.print(f"[bold]knee: {result.knee_users} concurrent streams meet the SLO{above}[/]")
    for reason in result.invalid_reasons:
        console.print(f"[bold yellow]INVALID[/] {reason}")


def _streams_sent(outputs: LocustOutputs) -> int | None:
    """Streams Locust started over the whole run (its ``POST stream`` row)."""
    try:
        entry = parse_stats_json(outputs.json_file.read_text()).get(("POST", "stream"))
    except (OSError, ValueError):
        return None
    return entry.num_requests if entry is not None else None


def _measure(
    opts: CapacityOptions, system: System, run_dir: Path, console: Console
) -> tuple[RampPlan, RampRun, dict[str, object] | None]:
    """The ramp, and what the mock upstream (if one is known) saw of it."""
    levels = opts.ramp.levels
    plan = _plan(opts, system, run_dir)
    n = opts.args.workers
    workers = f", {n} worker{'s' if n > 1 else ''}" if n else ""
    console.print(
        f"Locust: {len(levels)} steps x {opts.ramp.step_s:g} s ({levels[0]}..{levels[-1]} "
        f"users){workers}; log {plan.outputs.log('locust')}"
    )
    mock_url = system.env.mock_url
    before = mock_counters(mock_url) if mock_url else None
    with console.status("starting Locust ...") as status:
        run = run_ramp(plan, _progress(status, len(levels)))
    if mock_url is None:
        return plan, run, None
    upstream = upstream_summary(
        mock_url, before, mock_counters(mock_url), _streams_sent(plan.outputs)
    )
    return plan, run, upstream


def main(argv: Sequence[str] | None = None, prog: str = "streamgauge capacity") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    opts = parse_options(argv, prog)
    # Wide enough for the step table when the output is not a terminal (logs, CI).
    console = Console(width=None if sys.stdout.isatty() else 120)
    run_dir = report.new_run_dir(opts.args.out)
    console.print(f"[bold]{prog}[/] -> {run_dir}")
    try:
        with running_system(opts, run_dir / "logs", console.print) as system:
            plan, run, upstream = _measure(opts, system, run_dir, console)
    except (ServerStartError, TargetError) as exc:
        console.print(f"[red]cannot measure:[/] {exc}")
        return EXIT_NOT_MEASURED
    result = _analyze(opts, run)
    png = plot_capacity(
        result, opts.slo, f"capacity: {system.described_as}", run_dir / "capacity.png"
    )
    summary = _summary(
        opts, shlex.join([prog, *argv]), system=system, plan=plan, run=run, result=result,
        png=png, upstream=upstream,
    )  # fmt: skip
    (run_dir / "capacity.json").write_text(json.dumps(summary, indent=2) + "\n")
    _report(console, result, run)
    if upstream is not None:
        console.print(upstream_line(upstream))
    console.print(f"wrote {run_dir}/capacity.json, capacity.png and locust.* reports")
    return 0 if result.valid else 1
