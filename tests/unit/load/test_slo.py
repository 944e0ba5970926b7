"""The run-level SLO: TTFT p95, ITL p95, error ratio; silence is not success."""

from __future__ import annotations

import pytest

from loadtests.load.slo import AggregateSLO, Observed, violations

SLO = AggregateSLO(ttft_p95_ms=500, itl_p95_ms=50, max_error_ratio=0.01)


def test_within_bounds_meets_the_slo() -> None:
    """Bounds are inclusive: exactly 500 ms and 50 ms and 1 % pass."""
    assert violations(Observed(100, 1, 500.0, 50.0), SLO) == []


def test_each_bound_names_itself() -> None:
    assert violations(Observed(10, 0, 600.0, 12.0), SLO) == ["TTFT p95 600 ms > 500 ms"]
    assert violations(Observed(10, 0, 100.0, 51.0), SLO) == ["ITL p95 51 ms > 50 ms"]
    assert violations(Observed(50, 1, 100.0, 10.0), SLO) == ["errors 1/50 (2.0%) > 1.0%"]


def test_no_streams_or_no_ttft_fail() -> None:
    """A step where nothing completed, or no token arrived, does not pass by default."""
    assert violations(Observed(0, 0, None, None), SLO) == ["no stream completed"]
    assert violations(Observed(5, 0, None, None), SLO) == ["no TTFT observed"]


def test_no_itl_passes() -> None:
    """One-token streams have no gap: ITL is not violated."""
    assert violations(Observed(5, 0, 100.0, None), SLO) == []


def test_error_ratio() -> None:
    assert Observed(4, 1, None, None).error_ratio == 0.25
    assert Observed(0, 0, None, None).error_ratio is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"ttft_p95_ms": 0}, "> 0 ms"), ({"max_error_ratio": 1.5}, r"\[0, 1\]")],
)
def test_bad_slo_is_rejected(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AggregateSLO(**kwargs)
