"""Per-step numbers from Locust's history rows, the knee, and generator saturation."""

from __future__ import annotations

from loadtests.capacity.knee import (
    CpuSample,
    GeneratorLimits,
    StepResult,
    analyze,
    find_knee,
    step_results,
)
from loadtests.load.locust_stats import HistoryRow
from loadtests.load.slo import AggregateSLO

SLO = AggregateSLO(ttft_p95_ms=500, itl_p95_ms=50, max_error_ratio=0.01)
LIMITS = GeneratorLimits(cpu_limit_pct=90, lag_p99_limit_ms=10)


def row(
    t: int, users: int, method: str, name: str, total: int, p95: float,
    *, failures: int = 0, content: float = 0.0, p50: float | None = None,
) -> HistoryRow:  # fmt: skip
    pct: dict[str, float | None] = {"50%": p50 if p50 is not None else p95, "95%": p95, "99%": p95}
    return HistoryRow(t, users, method, name, 0.0, pct, total, failures, content)


def step_rows(
    users: int, t0: int, *, ttft_p95: float, streams: tuple[int, int]
) -> list[HistoryRow]:
    """A 12 s step: stream counts from streams[0] to streams[1], 10 tokens each."""
    a, b = streams
    rows: list[HistoryRow] = []
    for t in (t0, t0 + 1, t0 + 11):
        n = a if t < t0 + 11 else b
        rows += [
            row(t, users, "POST", "stream", n, 100),
            row(t, users, "SSE", "TTFT", n, ttft_p95, p50=ttft_p95 / 2),
            row(t, users, "SSE", "ITL", 9 * n, 12),
            row(t, users, "SSE", "tokens", n, 10, content=10.0),
            row(t, users, "GENERATOR", "loop lag", 100 * (t - t0 + 1), 2),
        ]
    return rows


def test_step_takes_window_deltas_and_last_row_percentiles() -> None:
    """Window = last 10 s (t 101..111): 50 -> 150 streams; the token total last changed at
    100 (the 101 row repeats it), so 1000 tokens / 11 s."""
    rows = step_rows(5, 100, ttft_p95=300, streams=(50, 150))
    cpu = [CpuSample(105, 1, 40.0), CpuSample(106, 1, 60.0), CpuSample(99, 1, 100.0)]
    (step,) = step_results(rows, [5], cpu=cpu, slo=SLO, limits=LIMITS)
    assert (step.window_start_s, step.window_end_s) == (101, 111)
    assert step.streams == 100
    assert step.failed_streams == 0
    assert step.tokens_per_s == 1000 / 11
    assert (step.ttft_p50_ms, step.ttft_p95_ms, step.itl_p95_ms) == (150, 300, 12)
    assert step.generator_cpu_pct == 50.0  # the sample at t=99 is before the window
    assert step.meets_slo
    assert not step.saturated


def test_window_without_samples_has_no_percentile() -> None:
    """Locust writes 0 for an empty window: no new TTFT means no TTFT, and a miss."""
    rows = step_rows(5, 100, ttft_p95=0, streams=(50, 50))
    (step,) = step_results(rows, [5], cpu=[], slo=SLO, limits=LIMITS)
    assert step.ttft_p95_ms is None
    assert step.slo_violations == ["no stream completed"]


def test_saturated_generator_is_flagged() -> None:
    rows = step_rows(5, 100, ttft_p95=300, streams=(0, 100))
    cpu = [CpuSample(105, 1, 20.0), CpuSample(105, 2, 95.0)]  # the busiest process counts
    (step,) = step_results(rows, [5], cpu=cpu, slo=SLO, limits=LIMITS)
    assert step.generator_cpu_pct == 95.0
    assert step.saturation == ["load generator CPU 95% >= 90% of a core"]


def result(
    users: int, *, meets: bool, cpu_saturated: bool = False, lag_p99: float = 1.0,
    ttft_p95: float = 100.0,
) -> StepResult:  # fmt: skip
    """A step; a miss is a TTFT p95 above 500 ms, lag above 10 ms is saturation."""
    ttft = ttft_p95 if meets or ttft_p95 > 500 else 900.0
    saturation = []
    if cpu_saturated:
        saturation.append("load generator CPU 95% >= 90% of a core")
    if lag_p99 > 10:
        saturation.append(f"lag p99 {lag_p99:g} ms > 10 ms")
    return StepResult(
        users, 0, 10, 10, 0, 100, ttft, ttft, 10, 10, 10, 100, lag_p99, 95 if cpu_saturated else 10,
        slo_violations=[] if meets else [f"TTFT p95 {ttft:g} ms > 500 ms"],
        saturation=saturation, cpu_saturated=cpu_saturated,
    )  # fmt: skip


def test_knee_is_the_last_step_before_the_first_miss() -> None:
    """Met at 1, 21, 41, missed at 61, met again at 81 (noise): knee 41."""
    steps = [result(u, meets=u != 61) for u in (1, 21, 41, 61, 81)]
    knee, failing = find_knee(steps)
    assert knee == 41
    assert failing is not None
    assert failing.users == 61


def test_knee_is_none_when_the_first_step_misses_and_above_range_when_none_does() -> None:
    assert find_knee([result(1, meets=False)])[0] is None
    capacity = analyze([result(1, meets=True), result(21, meets=True)], SLO)
    assert (capacity.knee_users, capacity.knee_above_range) == (21, True)


def test_cpu_saturated_first_miss_invalidates() -> None:
    """The generator at 95 % CPU when the SLO was first missed: the miss may be its own."""
    capacity = analyze([result(1, meets=True), result(21, meets=False, cpu_saturated=True)], SLO)
    assert not capacity.valid
    assert capacity.invalid_reasons == [
        "21 users (the first miss): load generator CPU 95% >= 90% of a core"
    ]


def test_lag_invalidates_only_when_it_could_explain_the_miss() -> None:
    """TTFT p95 720 ms with lag p99 11 ms: 709 ms still misses 500, the knee stands.
    TTFT p95 505 ms with lag p99 11 ms: 494 ms would meet it, invalid."""
    real = analyze([result(61, meets=True), result(71, meets=False, ttft_p95=720, lag_p99=11)], SLO)
    assert real.valid
    assert real.knee_users == 61
    doubtful = analyze(
        [result(61, meets=True), result(71, meets=False, ttft_p95=505, lag_p99=11)], SLO
    )
    assert doubtful.invalid_reasons == ["71 users (the first miss): lag p99 11 ms > 10 ms"]


def test_saturation_outside_the_first_miss_does_not_invalidate() -> None:
    """A late generator only inflates latencies: passing steps still pass, later ones
    do not move the knee."""
    capacity = analyze(
        [
            result(1, meets=True, cpu_saturated=True),
            result(21, meets=False),
            result(41, meets=False, cpu_saturated=True),
        ],
        SLO,
    )
    assert capacity.valid
    assert capacity.to_dict()["knee_users"] == 1


def test_no_steps_is_invalid() -> None:
    assert analyze([], SLO).invalid_reasons == [
        "no step was measured (did the load generator start?)"
    ]


def test_tokens_per_s_is_timed_between_changes_of_the_totals() -> None:
    """A master's rows repeat its workers' 3 s reports: (100, 0), (101, 0), (103, 300),
    (104, 300), (106, 600) tokens, window 101..111: changes at 100 and 106, 600 / 6 s."""
    rows = [
        row(t, 5, "SSE", "tokens", n, 10, content=10.0)
        for t, n in ((100, 0), (101, 0), (103, 30), (104, 30), (106, 60))
    ]
    rows += [row(t, 5, "POST", "stream", 10, 100) for t in (100, 111)]
    (step,) = step_results(rows, [5], cpu=[], slo=SLO, limits=LIMITS)
    assert step.window_start_s == 101
    assert step.tokens_per_s == 100.0
