"""The gate's rules on hand-made numbers: the stricter of invariant and baseline + noise."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from loadtests.gate import rules as gate
from loadtests.gate.baseline import Stat, stats, summarize
from loadtests.gate.readings import Value
from loadtests.gate.rules import (
    ACCEPTED,
    BASELINE,
    BASELINE_MAX,
    INVARIANT,
    NOT_IN_BASELINE,
    NOT_MEASURED,
)
from tests.unit.gate.numbers import CHECK_NAMES, healthy

TOL = gate.Tolerances()


def _judge(name: str, values: Sequence[Value], now: Value) -> gate.Check:
    """``now`` judged against a baseline of ``values`` (one per run)."""
    return gate.judge(name, summarize(values), now, TOL)


def test_every_contract_check_has_a_rule() -> None:
    """The names CORPUS asserts on all resolve to a rule."""
    for name in CHECK_NAMES:
        gate.rule_for(name, TOL)
    with pytest.raises(KeyError):
        gate.rule_for("nonsense.check", TOL)


def test_tokens_after_leaving_clean_baseline_is_held_to_the_invariant() -> None:
    """baseline 0,0,0: own limit 0 + max(floor 1, 2 x 0) = 1; invariant 1 -> <= 1 (invariant)."""
    name = "disconnect.burst.tokens_after_max"
    ok = _judge(name, [0, 0, 0], 1)
    assert (ok.verdict, ok.limit, ok.bound) == ("pass", "<= 1 tokens", INVARIANT)
    bad = _judge(name, [0, 0, 0], 2)
    assert bad.verdict == "fail"  # a count has no borderline band


def test_a_baseline_that_let_two_tokens_through_is_held_to_no_worse_than_itself() -> None:
    """baseline 2,2,2 (accepted failing): 2 + max(1, 0) = 3 -> 3 passes, 4 fails, says so."""
    name = "disconnect.burst.tokens_after_max"
    check = _judge(name, [2, 2, 2], 3)
    assert (check.verdict, check.limit, check.bound) == ("pass", "<= 3 tokens", ACCEPTED)
    assert _judge(name, [2, 2, 2], 4).verdict == "fail"


def test_the_stricter_bound_applies_when_the_baseline_is_far_below_the_invariant() -> None:
    """healthz 4,5,6 ms: median 5, spread 2: 5 + max(50, 5, 4) = 55 ms < 100 ms invariant."""
    name = "blocking.healthz_p99_ms"
    check = _judge(name, [4.0, 5.0, 6.0], 54.0)
    assert (check.verdict, check.limit, check.bound) == ("pass", "<= 55.0 ms", BASELINE)
    assert _judge(name, [4.0, 5.0, 6.0], 60.0).verdict == "borderline"  # <= 55 x 1.25
    assert _judge(name, [4.0, 5.0, 6.0], 70.0).verdict == "fail"
    # A noisy baseline (spread 60) is capped by the invariant.
    noisy = _judge(name, [10.0, 40.0, 70.0], 90.0)
    assert (noisy.verdict, noisy.limit, noisy.bound) == ("pass", "<= 100 ms", INVARIANT)


def test_ratio_allowance_is_floor_overhead_share_or_spread() -> None:
    """ttft.ratio 1.2,1.2,1.2: 1.2 + max(0.35, 0.5 x 0.2, 0) = 1.55; band to 1.9375."""
    name = "ttft.ratio"
    assert _judge(name, [1.2, 1.2, 1.2], 1.5).verdict == "pass"
    assert _judge(name, [1.2, 1.2, 1.2], 1.7).verdict == "borderline"
    assert _judge(name, [1.2, 1.2, 1.2], 2.2).verdict == "fail"
    # baseline overhead 1.0 (ratio 2.0): 2.0 + 0.5 x 1.0 = 2.5
    assert _judge(name, [2.0, 2.0, 2.0], 2.5).limit == "<= 2.50x"
    # spread 0.4 (1.0..1.4): 1.2 + max(0.35, 0.1, 0.8) = 2.0
    assert _judge(name, [1.0, 1.2, 1.4], 2.0).verdict == "pass"


def test_per_token_concurrent_floor_is_wider_than_single() -> None:
    """single 1.05 -> 1.05 + 0.25 = 1.30; concurrent 1.2 -> 1.2 + 0.5 = 1.70."""
    single = _judge("per_token.single.itl_p95_ratio", [1.05, 1.05, 1.05], 1.3)
    concurrent = _judge("per_token.concurrent.itl_p95_ratio", [1.2, 1.2, 1.2], 1.7)
    assert (single.limit, single.verdict) == ("<= 1.30x", "pass")
    assert (concurrent.limit, concurrent.verdict) == ("<= 1.70x", "pass")
    # sync work per token at 50 streams: ~100 ms added to a 5 ms ITL
    assert _judge("per_token.concurrent.itl_p95_ratio", [1.2, 1.2, 1.2], 21.0).verdict == "fail"


def test_tokens_per_s_ratio_is_a_minimum() -> None:
    """0.95,0.95,0.95: 0.95 - max(0.15, 2 x 0) = 0.80; borderline down to 0.60."""
    name = "load.tokens_per_s_ratio"
    check = _judge(name, [0.95, 0.95, 0.95], 0.81)
    assert (check.verdict, check.limit) == ("pass", ">= 0.80x")
    assert _judge(name, [0.95, 0.95, 0.95], 0.7).verdict == "borderline"
    assert _judge(name, [0.95, 0.95, 0.95], 0.5).verdict == "fail"


def test_cpu_rss_and_connections_use_a_floor_or_the_spread() -> None:
    """cpu 150 -> 350 µs; cpu 100..300 (spread 200) -> 200 + 400 = 600; rss 0.5 -> 20.5 MB."""
    assert _judge("load.cpu_us_per_token", [150.0] * 3, 340.0).limit == "<= 350 µs/token"
    assert _judge("load.cpu_us_per_token", [100.0, 200.0, 300.0], 590.0).verdict == "pass"
    assert _judge("load.cpu_us_per_token", [150.0] * 3, 2500.0).verdict == "fail"
    assert _judge("leaks.rss_growth_mb", [0.5] * 3, 20.0).limit == "<= 20.5 MB"
    assert _judge("leaks.rss_growth_mb", [0.5] * 3, 45.0).verdict == "fail"
    assert _judge("leaks.open_connections_growth", [0, 1, 2], 12).limit == "<= 11 connections"


def test_integrity_termination_and_upstream_open_are_zero() -> None:
    for name in (
        "integrity.mismatched_streams",
        "termination.silent_truncations",
        "leaks.upstream_open_after_clients_left",
    ):
        assert _judge(name, [0, 0, 0], 0).verdict == "pass"
        check = _judge(name, [0, 0, 0], 1)
        assert (check.verdict, check.bound) == ("fail", INVARIANT)


def test_upstream_calls_are_held_to_the_baselines_max_without_noise() -> None:
    """1 + the retries the baseline saw: max 2 of 2,2,3 -> 3; the 4 of retry amplification fails."""
    stat = summarize([2, 3, 2], "max")
    assert stat.baseline == 3
    assert gate.judge("faults.upstream_calls_per_request", stat, 3, TOL).verdict == "pass"
    check = gate.judge("faults.upstream_calls_per_request", stat, 4, TOL)
    assert (check.verdict, check.limit, check.bound) == ("fail", "<= 3 calls", BASELINE_MAX)


def test_fault_outcomes() -> None:
    """status, error_event, recovered pass; silent_end, hang, error fail."""
    name = "faults.error_mid_stream"
    for ok in ("status", "error_event", "recovered"):
        assert _judge(name, ["error_event"] * 3, ok).verdict == "pass"
    for bad in ("silent_end", "hang", "error"):
        check = _judge(name, ["error_event"] * 3, bad)
        assert (check.verdict, check.bound) == ("fail", INVARIANT)
    # accepted failing: the service always ended silently; still silent is no worse
    accepted = _judge(name, ["silent_end"] * 3, "silent_end")
    assert (accepted.verdict, accepted.bound) == ("pass", ACCEPTED)
    assert _judge(name, ["silent_end"] * 3, "hang").verdict == "fail"


def test_buffering_paths_stream() -> None:
    assert _judge("buffering.nginx_gzip", ["streams"] * 3, "streams").verdict == "pass"
    assert _judge("buffering.nginx_gzip", ["streams"] * 3, "buffered").verdict == "fail"


def test_not_measured_now_fails_and_not_in_baseline_is_reported() -> None:
    gone = gate.judge("load.cpu_us_per_token", summarize([150.0] * 3), None, TOL)
    assert (gone.verdict, gone.bound) == ("fail", NOT_MEASURED)
    new = gate.judge("load.cpu_us_per_token", summarize([None] * 3), 150.0, TOL)
    assert (new.verdict, new.bound) == ("skip", NOT_IN_BASELINE)
    assert gate.judge("leaks.rss_growth_mb", None, 1.0, TOL).verdict == "skip"
    assert gate.overall([new]) == "pass"


def test_compare_a_healthy_run_with_its_own_baseline_passes_every_check() -> None:
    base = stats([healthy(), healthy(), healthy()])
    checks = gate.compare(base, healthy())
    assert [c.name for c in checks] == CHECK_NAMES
    assert {c.verdict for c in checks} == {"pass"}


def test_compare_a_section_missing_now_fails_and_one_new_is_skipped() -> None:
    old = healthy()
    del old["leaks"]
    now = healthy()
    del now["faults"]
    checks = {c.name: c for c in gate.compare(stats([old] * 3), now)}
    assert checks["faults.error_mid_stream"].bound == NOT_MEASURED
    assert checks["leaks.rss_growth_mb"].verdict == "skip"


def test_a_service_without_done_is_a_regression_not_an_invalid_measurement() -> None:
    """The v1 gate called it 'every measurement invalid' (exit 2); now it is a check."""
    now = healthy()
    now["termination"] = {"streams": 120, "terminated": 0, "silent_truncations": 120}
    checks = {c.name: c for c in gate.compare(stats([healthy()] * 3), now)}
    bad = checks["termination.silent_truncations"]
    assert (bad.verdict, bad.now) == ("fail", 120)
    assert bad.why == "0 of 120 streams terminated"


def test_baseline_failures_list_the_invariants_a_baseline_breaks() -> None:
    run = healthy()
    run["disconnect"]["burst"]["tokens_after_max"] = 2
    run["faults"]["error_mid_stream"]["outcome"] = "silent_end"
    failing = gate.baseline_failures(stats([run, run, healthy()]))
    assert [(c.name, c.now, c.limit) for c in failing] == [
        ("disconnect.burst.tokens_after_max", 2, "<= 1 tokens"),
        ("faults.error_mid_stream", "silent_end", "in {error_event, recovered, status}"),
    ]
    assert gate.baseline_failures(stats([healthy()] * 3)) == []


def test_best_of_keeps_the_best_attempt_and_fails_persistent_borderline() -> None:
    a = [gate.Check("x", 1, 2, "<= 1", "fail"), gate.Check("y", 1, 1.1, "<= 1", "borderline")]
    b = [gate.Check("x", 1, 1, "<= 1", "pass"), gate.Check("y", 1, 1.1, "<= 1", "borderline")]
    best = {c.name: c.verdict for c in gate.best_of([a, b])}
    assert best == {"x": "pass", "y": "fail"}


def test_failed_twice_needs_the_same_check() -> None:
    x = gate.Check("x", 1, 2, "<= 1", "fail")
    y = gate.Check("y", 1, 2, "<= 1", "fail")
    assert gate.failed_twice([x], [x])
    assert not gate.failed_twice([x], [y])


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.3793797400000027, "ms", "3.38 ms"),
        (1.0851999600120628, "x", "1.09x"),
        (0, "tokens", "0 tokens"),
        (54.99, "ms", "55.0 ms"),
        (1234.5, "µs/token", "1234 µs/token"),
        (0.678, "ms", "0.68 ms"),
        (None, "ms", "-"),
        ("streams", "", "streams"),
    ],
)
def test_numbers_are_rounded_with_units(value: float | None, unit: str, text: str) -> None:
    assert gate.fmt(value, unit) == text


def test_stat_round_trips_through_json() -> None:
    stat = summarize([1.0, 2.0, 4.0])
    assert Stat.from_dict(stat.as_dict()) == stat
