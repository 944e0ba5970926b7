"""Capacity from a step ramp: per-step numbers, the knee, and whether to trust them.

Pure functions over Locust's history rows (:mod:`loadtests.load.locust_stats`) and CPU
samples of the load generator's processes; ``streamgauge capacity`` wires them up.

Per step (one level of :class:`loadtests.load.shapes.StepRamp`), from the history rows
whose ``User Count`` is the step's users:

- the *window* is the last ``WINDOW_S`` (10) seconds of the step, the span Locust's
  current percentiles cover; earlier seconds of the step are the settle time;
- percentiles (TTFT, ITL, loop lag) are the step's last row's window percentiles, kept
  only when the window holds at least one sample of that row (Locust writes 0 otherwise);
- counts are differences over the window: ``streams``, ``failed streams``, and
  ``tokens/s = delta(total output tokens) / seconds``, tokens counted when a stream ends
  (the ``tokens`` row's content total), timed between the rows where the totals changed
  (a master's rows repeat its workers' 3 s reports);
- generator CPU is the mean of the samples inside the window, per process; the step's
  value is the busiest process (Locust runs its users on one core per process).

The knee is the users of the last step before the first step that misses the SLO
(:func:`loadtests.load.slo.violations`); a later step that happens to pass does not
count. When no step misses, the knee is the last step and ``knee_above_range`` is set.

A step is *saturated* when the generator's CPU reached ``cpu_limit_pct`` or its loop lag
p99 exceeded ``lag_p99_limit_ms``. A late generator stamps arrivals late, so it can only
inflate latencies: a step that met the SLO still met it. What it can fake is the miss that
defines the knee. The result is invalid when the first failing step was saturated and the
generator may explain its miss: its CPU was saturated (no bound on the error), or only
latency bounds were missed and subtracting the generator's lag p99 from TTFT p95 and ITL
p95 would meet them. ``Steps at 61 (met) and 71 users (TTFT p95 720 ms > 500, lag p99
11 ms)``: 709 ms still misses, the knee 61 stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from ..client.loop_lag import lag_verdict
from ..load.locust_stats import HistoryRow
from ..load.slo import AggregateSLO, Observed, violations

__all__ = [
    "WINDOW_S",
    "CapacityResult",
    "CpuSample",
    "GeneratorLimits",
    "RowNames",
    "StepResult",
    "analyze",
    "find_knee",
    "generator_may_explain",
    "step_results",
]

#: Locust's current-percentile window (``CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW``).
WINDOW_S = 10


@dataclass(frozen=True, slots=True)
class RowNames:
    """Which Locust rows hold what, as ``(method, name)``."""

    stream: tuple[str, str] = ("POST", "stream")
    ttft: tuple[str, str] = ("SSE", "TTFT")
    itl: tuple[str, str] = ("SSE", "ITL")
    tokens: tuple[str, str] = ("SSE", "tokens")
    lag: tuple[str, str] = ("GENERATOR", "loop lag")


@dataclass(frozen=True, slots=True)
class GeneratorLimits:
    """When the load generator's own numbers void a step."""

    cpu_limit_pct: float = 90.0
    lag_p99_limit_ms: float = 10.0


@dataclass(frozen=True, slots=True)
class CpuSample:
    """``cpu_pct`` of process ``pid`` over the second before ``timestamp_s`` (Unix time).

    Unix time because Locust's history rows carry it: it is only used to line samples
    up with rows, one-second resolution, never to measure a duration.
    """

    timestamp_s: float
    pid: int
    cpu_pct: float


@dataclass(frozen=True, slots=True)
class StepResult:
    users: int
    window_start_s: int
    window_end_s: int
    streams: int
    failed_streams: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    ttft_p99_ms: float | None
    itl_p50_ms: float | None
    itl_p95_ms: float | None
    itl_p99_ms: float | None
    tokens_per_s: float | None
    lag_p99_ms: float | None
    generator_cpu_pct: float | None
    slo_violations: list[str] = field(default_factory=list)
    saturation: list[str] = field(default_factory=list)
    cpu_saturated: bool = False

    @property
    def meets_slo(self) -> bool:
        return not self.slo_violations

    @property
    def saturated(self) -> bool:
        return bool(self.saturation)


@dataclass(frozen=True, slots=True)
class CapacityResult:
    steps: list[StepResult]
    knee_users: int | None
    knee_above_range: bool
    first_failing_users: int | None
    invalid_reasons: list[str]

    @property
    def valid(self) -> bool:
        return not self.invalid_reasons

    def to_dict(self) -> dict[str, object]:
        return {
            "knee_users": self.knee_users,
            "knee_above_range": self.knee_above_range,
            "first_failing_users": self.first_failing_users,
            "valid": self.valid,
            "invalid_reasons": list(self.invalid_reasons),
            "steps": [
                {**asdict(s), "meets_slo": s.meets_slo, "saturated": s.saturated}
                for s in self.steps
            ],
        }


def _window_percentiles(
    first: HistoryRow | None, last: HistoryRow | None
) -> tuple[float | None, float | None, float | None]:
    if last is None:
        return None, None, None
    if last.total_requests - (first.total_requests if first is not None else 0) <= 0:
        return None, None, None
    return last.percentile("50%"), last.percentile("95%"), last.percentile("99%")


def _rate(rows: Sequence[HistoryRow], start_s: int, end_s: int) -> float | None:
    """Content per second over the window, timed between changes of the totals.

    A master rewrites its workers' totals every second but receives them every 3 s, so
    its rows repeat and a row's totals may be up to 3 s old. Timing the delta from the
    last change at or before ``start_s`` to the last change by ``end_s`` keeps the rate
    exact either way. Rows ``(t=100, 0 tokens)``, ``(101, 0)``, ``(103, 300)``,
    ``(104, 300)``, ``(106, 600)``, window 101..106: changes at 100 and 106, 600 / 6 = 100.
    """
    changes: list[HistoryRow] = []
    previous: HistoryRow | None = None
    for row in sorted(rows, key=lambda r: r.timestamp_s):
        if row.timestamp_s > end_s:
            break
        if previous is None or row.total_requests != previous.total_requests:
            changes.append(row)
        previous = row
    before = [r for r in changes if r.timestamp_s <= start_s]
    inside = [r for r in changes if r.timestamp_s > start_s]
    if not inside:
        return None
    first = before[-1] if before else inside[0]
    last = inside[-1]
    if last.timestamp_s <= first.timestamp_s:
        return None
    return (last.total_content - first.total_content) / (last.timestamp_s - first.timestamp_s)


def _cpu(samples: Iterable[CpuSample], start_s: int, end_s: int) -> float | None:
    per_pid: dict[int, list[float]] = {}
    for s in samples:
        if start_s <= s.timestamp_s <= end_s:
            per_pid.setdefault(s.pid, []).append(s.cpu_pct)
    means = [sum(v) / len(v) for v in per_pid.values() if v]
    return max(means) if means else None


def _one_step(
    users: int,
    *,
    rows: Sequence[HistoryRow],
    cpu: Sequence[CpuSample],
    names: RowNames,
    slo: AggregateSLO,
    limits: GeneratorLimits,
) -> StepResult:
    end_s = max(r.timestamp_s for r in rows)
    start_s = max(min(r.timestamp_s for r in rows), end_s - WINDOW_S)
    by_name: dict[tuple[str, str], list[HistoryRow]] = {}
    for r in rows:
        if r.timestamp_s >= start_s:
            by_name.setdefault((r.method, r.name), []).append(r)

    def ends(key: tuple[str, str]) -> tuple[HistoryRow | None, HistoryRow | None]:
        found = by_name.get(key)
        if not found:
            return None, None
        return min(found, key=lambda r: r.timestamp_s), max(found, key=lambda r: r.timestamp_s)

    def delta(key: tuple[str, str], attr: str) -> float:
        first, last = ends(key)
        if last is None or first is None:
            return 0.0
        return float(getattr(last, attr)) - float(getattr(first, attr))

    ttft = _window_percentiles(*ends(names.ttft))
    itl = _window_percentiles(*ends(names.itl))
    lag = _window_percentiles(*ends(names.lag))
    streams = int(delta(names.stream, "total_requests"))
    failed = int(delta(names.stream, "total_failures"))
    tokens_per_s = _rate([r for r in rows if (r.method, r.name) == names.tokens], start_s, end_s)
    cpu_pct = _cpu(cpu, start_s, end_s)
    saturation: list[str] = []
    if cpu_pct is not None and cpu_pct >= limits.cpu_limit_pct:
        saturation.append(
            f"load generator CPU {cpu_pct:.0f}% >= {limits.cpu_limit_pct:g}% of a core"
        )
    lag_reason = lag_verdict({"p99": lag[2]}, limits.lag_p99_limit_ms)
    if lag_reason is not None:
        saturation.append(lag_reason)
    observed = Observed(streams, failed, ttft[1], itl[1])
    return StepResult(
        users=users,
        window_start_s=start_s,
        window_end_s=end_s,
        streams=streams,
        failed_streams=failed,
        ttft_p50_ms=ttft[0],
        ttft_p95_ms=ttft[1],
        ttft_p99_ms=ttft[2],
        itl_p50_ms=itl[0],
        itl_p95_ms=itl[1],
        itl_p99_ms=itl[2],
        tokens_per_s=tokens_per_s,
        lag_p99_ms=lag[2],
        generator_cpu_pct=cpu_pct,
        slo_violations=violations(observed, slo),
        saturation=saturation,
        cpu_saturated=cpu_pct is not None and cpu_pct >= limits.cpu_limit_pct,
    )


def step_results(
    rows: Sequence[HistoryRow],
    levels: Sequence[int],
    *,
    cpu: Sequence[CpuSample],
    slo: AggregateSLO,
    limits: GeneratorLimits,
    names: RowNames = RowNames(),
) -> list[StepResult]:
    """One result per level that has history rows, in ramp order."""
    by_users: dict[int, list[HistoryRow]] = {}
    for r in rows:
        by_users.setdefault(r.user_count, []).append(r)
    return [
        _one_step(users, rows=by_users[users], cpu=cpu, names=names, slo=slo, limits=limits)
        for users in levels
        if by_users.get(users)
    ]


def find_knee(steps: Sequence[StepResult]) -> tuple[int | None, StepResult | None]:
    """``(knee users, first failing step)``; the knee is ``None`` if the first step fails.

    Steps meeting the SLO at 1, 21, 41 users and missing it at 61: ``(41, step 61)``.
    """
    knee: int | None = None
    for step in steps:
        if not step.meets_slo:
            return knee, step
        knee = step.users
    return knee, None


def generator_may_explain(step: StepResult, slo: AggregateSLO) -> bool:
    """Could the load generator's own delay have made ``step`` miss ``slo``?

    Yes when its CPU was saturated, or when it was lagging and the step would meet the
    SLO with the lag p99 taken off its TTFT and ITL p95 (errors are never the lag's).
    """
    if not step.saturated:
        return False
    if step.cpu_saturated:
        return True
    lag = step.lag_p99_ms or 0.0
    adjusted = Observed(
        step.streams,
        step.failed_streams,
        None if step.ttft_p95_ms is None else step.ttft_p95_ms - lag,
        None if step.itl_p95_ms is None else step.itl_p95_ms - lag,
    )
    return not violations(adjusted, slo)


def analyze(steps: Sequence[StepResult], slo: AggregateSLO) -> CapacityResult:
    """The knee and the validity verdict of a ramp's steps."""
    knee, failing = find_knee(steps)
    invalid: list[str] = []
    if not steps:
        invalid.append("no step was measured (did the load generator start?)")
    if failing is not None and generator_may_explain(failing, slo):
        invalid.extend(
            f"{failing.users} users (the first miss): {reason}" for reason in failing.saturation
        )
    return CapacityResult(
        steps=list(steps),
        knee_users=knee,
        knee_above_range=failing is None and bool(steps),
        first_failing_users=failing.users if failing is not None else None,
        invalid_reasons=invalid,
    )
