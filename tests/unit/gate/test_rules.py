"""The gate's rules on hand-made numbers."""

from __future__ import annotations

from loadtests.gate import rules as gate
from loadtests.gate.rules import best_of

TOL = gate.Tolerances()


def test_ttft_ratio_limit_is_baseline_plus_margin() -> None:
    """baseline 1.2 -> limit 1.2 + max(0.35, 0.5 x 0.2) = 1.55; borderline up to 1.9375."""
    base = {"ratio": 1.2, "p99_ms": 100.0}
    verdicts = [c.verdict for c in gate.ttft_checks(base, {"ratio": 1.5, "p99_ms": 120.0}, TOL)]
    assert verdicts == ["pass", "pass"]
    (ratio, _) = gate.ttft_checks(base, {"ratio": 1.7, "p99_ms": 100.0}, TOL)
    assert ratio.verdict == "borderline"
    (ratio, _) = gate.ttft_checks(base, {"ratio": 2.2, "p99_ms": 100.0}, TOL)
    assert ratio.verdict == "fail"


def test_p99_is_generous() -> None:
    """limit = 3 x 100 + 50 = 350 ms."""
    (_, p99) = gate.ttft_checks({"ratio": 1.0, "p99_ms": 100.0}, {"ratio": 1.0, "p99_ms": 349}, TOL)
    assert p99.verdict == "pass"
    (_, p99) = gate.ttft_checks({"ratio": 1.0, "p99_ms": 100.0}, {"ratio": 1.0, "p99_ms": 500}, TOL)
    assert p99.verdict == "fail"


def test_blocking_invariants() -> None:
    ok = gate.blocking_checks({"healthz_p99_ms": 12.0, "ttft_spread_ms": 20.0}, {}, TOL)
    assert [c.verdict for c in ok] == ["pass", "pass"]
    bad = gate.blocking_checks({"healthz_p99_ms": 4000.0, "ttft_spread_ms": 4100.0}, {}, TOL)
    assert [c.verdict for c in bad] == ["fail", "fail"]


def test_disconnect_invariants() -> None:
    checks = gate.disconnect_checks(
        {
            "close_after": {"tokens_after_max": 1, "upstream_close_ms": 3.0},
            "stop_reading": {"tokens_after_max": 45, "upstream_close_ms": 900.0},
        },
        {},
        TOL,
    )
    assert [(c.name, c.verdict) for c in checks] == [
        ("disconnect.close_after.tokens_after_max", "pass"),
        ("disconnect.close_after.upstream_close_ms", "pass"),
        ("disconnect.stop_reading.tokens_after_max", "fail"),
        ("disconnect.stop_reading.upstream_close_ms", "fail"),
    ]


def test_buffering_invariant_and_overall() -> None:
    checks = gate.buffering_checks({"direct": "streams", "nginx_gzip": "buffered"}, {})
    assert [c.verdict for c in checks] == ["pass", "fail"]
    assert gate.overall(checks) == "fail"
    assert gate.overall(checks[:1]) == "pass"
    assert "❌ fail" in gate.markdown(checks)


def test_best_of_keeps_the_best_attempt_and_fails_persistent_borderline() -> None:
    a = [gate.Check("x", 1, 2, "<= 1", "fail"), gate.Check("y", 1, 1.1, "<= 1", "borderline")]
    b = [gate.Check("x", 1, 1, "<= 1", "pass"), gate.Check("y", 1, 1.1, "<= 1", "borderline")]
    best = {c.name: c.verdict for c in best_of([a, b])}
    assert best == {"x": "pass", "y": "fail"}
