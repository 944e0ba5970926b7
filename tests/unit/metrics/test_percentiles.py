"""Percentiles: linear interpolation between closest ranks (NumPy's default)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.metrics import percentile, summarize


def test_median_of_even_count_interpolates() -> None:
    """p50 of [1, 2, 3, 4]: h = 1.5 -> 2.5."""
    assert percentile([4, 1, 3, 2], 50) == 2.5


def test_p90_of_ten() -> None:
    """p90 of 10..100: h = 9 * 0.9 = 8.1 -> 90 + 0.1 * 10 = 91."""
    assert percentile(range(10, 101, 10), 90) == pytest.approx(91.0)


def test_extremes_are_min_and_max() -> None:
    """p0 is the min, p100 the max."""
    assert percentile([3, 1, 2], 0) == 1
    assert percentile([3, 1, 2], 100) == 3


def test_single_value() -> None:
    """Every percentile of one value is that value."""
    assert percentile([7], 99) == 7


def test_empty_or_bad_q_raises() -> None:
    """No values or q outside [0, 100] is an error, not 0."""
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="q must be"):
        percentile([1], 101)


@given(
    st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=50),
    st.floats(0, 100),
)
def test_matches_numpy_linear(values: list[int], q: float) -> None:
    """Agrees with numpy.percentile(method="linear")."""
    np = pytest.importorskip("numpy")
    expected = float(np.percentile(values, q, method="linear"))
    assert percentile(values, q) == pytest.approx(expected, rel=1e-9, abs=1e-3)


def test_summarize() -> None:
    """count, min, mean, percentiles and max of [10, 20, 30, 40]."""
    assert summarize([40, 10, 30, 20]) == {
        "count": 4,
        "min": 10,
        "mean": 25.0,
        "p50": 25.0,
        "p90": pytest.approx(37.0),
        "p95": pytest.approx(38.5),
        "p99": pytest.approx(39.7),
        "max": 40,
    }


def test_summarize_empty() -> None:
    """No values: count 0, everything else None."""
    assert summarize([]) == {
        "count": 0,
        "min": None,
        "mean": None,
        "p50": None,
        "p90": None,
        "p95": None,
        "p99": None,
        "max": None,
    }
