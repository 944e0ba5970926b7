"""Drive one step-ramp Locust run: start it, watch it, stop it early, collect its output.

While Locust runs (in its own processes, :mod:`loadtests.load.locust_process`), this process
samples every Locust process's CPU once a second with psutil, shows progress from
Locust's history CSV, and ends the run early (SIGTERM: Locust still writes its reports)
once ``stop_after_failing`` consecutive finished steps missed the SLO: more users would
only take longer to fail.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ..load.locust_process import LocustOutputs, LocustRun, running_locust
from ..load.locust_stats import HistoryRow, parse_history_csv
from ..load.shapes import StepRamp
from ..load.slo import AggregateSLO
from .knee import CpuSample, GeneratorLimits, StepResult, step_results

__all__ = ["Progress", "RampPlan", "RampRun", "run_ramp"]

_SAMPLE_S = 1.0


@dataclass(frozen=True, slots=True)
class RampPlan:
    ramp: StepRamp
    slo: AggregateSLO
    limits: GeneratorLimits
    stop_after_failing: int
    main_argv: list[str]
    worker_argvs: list[list[str]]
    outputs: LocustOutputs
    timeout_s: float


@dataclass(frozen=True, slots=True)
class Progress:
    """What the run looks like now, for the progress line."""

    elapsed_s: float
    users: int | None
    step_index: int | None
    ttft_p95_ms: float | None
    generator_cpu_pct: float | None


@dataclass
class RampRun:
    exit_code: int | None
    rows: list[HistoryRow]
    cpu: list[CpuSample] = field(default_factory=list)
    stopped_early: str | None = None


def _read_rows(path: Path) -> list[HistoryRow]:
    try:
        return parse_history_csv(path.read_text())
    except FileNotFoundError:
        return []


def _finished_steps(
    rows: list[HistoryRow], plan: RampPlan, cpu: list[CpuSample]
) -> list[StepResult]:
    """Steps the ramp has moved past (the current one is still settling)."""
    if not rows:
        return []
    current = max(r.user_count for r in rows)  # the ramp only goes up
    levels = [u for u in plan.ramp.levels if u < current]
    return step_results(rows, levels, cpu=cpu, slo=plan.slo, limits=plan.limits)


def _should_stop(steps: list[StepResult], n: int) -> str | None:
    if n <= 0 or len(steps) < n or any(s.meets_slo for s in steps[-n:]):
        return None
    return f"stopped after {n} consecutive steps missed the SLO (last: {steps[-1].users} users)"


def _sample_cpu(procs: dict[int, psutil.Process], into: list[CpuSample]) -> float | None:
    now = time.time()  # Unix time: Locust's history rows are stamped with it
    busiest: float | None = None
    for pid, proc in procs.items():
        with contextlib.suppress(psutil.Error):
            pct = proc.cpu_percent(None)
            into.append(CpuSample(now, pid, pct))
            busiest = pct if busiest is None else max(busiest, pct)
    return busiest


def _progress(
    rows: list[HistoryRow], plan: RampPlan, elapsed_s: float, cpu: float | None
) -> Progress:
    users = rows[-1].user_count if rows else None
    levels = plan.ramp.levels
    ttft = next((r for r in reversed(rows) if (r.method, r.name) == ("SSE", "TTFT")), None)
    return Progress(
        elapsed_s=elapsed_s,
        users=users,
        step_index=levels.index(users) if users in levels else None,
        ttft_p95_ms=ttft.percentile("95%") if ttft is not None else None,
        generator_cpu_pct=cpu,
    )


def _watch(run: LocustRun, plan: RampPlan, on_progress: Callable[[Progress], None]) -> RampRun:
    procs: dict[int, psutil.Process] = {}
    for pid in run.pids:
        with contextlib.suppress(psutil.Error):
            procs[pid] = psutil.Process(pid)
            procs[pid].cpu_percent(None)  # the first call only starts the measurement
    cpu: list[CpuSample] = []
    started = time.monotonic()
    stopped: str | None = None
    while run.main.poll() is None:
        time.sleep(_SAMPLE_S)
        busiest = _sample_cpu(procs, cpu)
        rows = _read_rows(plan.outputs.history_csv)
        elapsed = time.monotonic() - started
        on_progress(_progress(rows, plan, elapsed, busiest))
        stopped = _should_stop(_finished_steps(rows, plan, cpu), plan.stop_after_failing)
        if stopped is None and elapsed > plan.timeout_s:
            stopped = f"timed out after {plan.timeout_s:.0f} s"
        if stopped is not None:
            run.stop()
            break
    return RampRun(run.main.poll(), _read_rows(plan.outputs.history_csv), cpu, stopped)


def run_ramp(plan: RampPlan, on_progress: Callable[[Progress], None]) -> RampRun:
    """Run Locust per ``plan`` and return its history rows and the CPU samples."""
    with running_locust(plan.main_argv, plan.worker_argvs, plan.outputs) as run:
        return _watch(run, plan, on_progress)
