"""ITL: gaps between content events; mean over the request."""

from loadtests.metrics import itl_ns, mean_itl_ns


def test_itl_two_events() -> None:
    """start 100, events [105, 115] -> ITL [10] (the start does not matter)."""
    assert itl_ns([105, 115]) == [10]
    assert mean_itl_ns([105, 115]) == 10.0


def test_itl_several_events() -> None:
    """[100, 110, 130, 131] -> [10, 20, 1], mean 31 / 3."""
    assert itl_ns([100, 110, 130, 131]) == [10, 20, 1]
    assert mean_itl_ns([100, 110, 130, 131]) == 31 / 3


def test_events_from_one_read_have_zero_gap() -> None:
    """Events completed by one read share its arrival: gap 0."""
    assert itl_ns([100, 100, 100, 150]) == [0, 0, 50]


def test_itl_needs_two_events() -> None:
    """No gaps below two events; the mean is None, not 0."""
    assert itl_ns([]) == []
    assert itl_ns([105]) == []
    assert mean_itl_ns([105]) is None
    assert mean_itl_ns([]) is None
