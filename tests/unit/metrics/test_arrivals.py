"""Merged arrivals: distinct read times among content events."""

from loadtests.metrics import MergedArrivals, merged_arrivals


def test_streamed_one_event_per_read() -> None:
    """[105, 115, 125]: 3 arrivals, 1 event each, largest gap 10."""
    result = merged_arrivals([105, 115, 125])
    assert result == MergedArrivals(
        n_events=3, n_arrivals=3, max_events_per_arrival=1, max_gap_ns=10
    )
    assert result.events_per_arrival == 1.0


def test_fully_buffered() -> None:
    """All 50 events in one read: 1 arrival, 50 per arrival, no gap."""
    result = merged_arrivals([1_040] * 50)
    assert result == MergedArrivals(
        n_events=50, n_arrivals=1, max_events_per_arrival=50, max_gap_ns=None
    )
    assert result.events_per_arrival == 50.0


def test_partly_buffered() -> None:
    """[100, 100, 100, 400, 400, 410]: 3 arrivals, 2 per arrival, max 3, largest gap 300."""
    result = merged_arrivals([100, 100, 100, 400, 400, 410])
    assert result == MergedArrivals(
        n_events=6, n_arrivals=3, max_events_per_arrival=3, max_gap_ns=300
    )
    assert result.events_per_arrival == 2.0


def test_no_events() -> None:
    """Nothing arrived: zero counts, None ratio and gap."""
    result = merged_arrivals([])
    assert result == MergedArrivals(
        n_events=0, n_arrivals=0, max_events_per_arrival=0, max_gap_ns=None
    )
    assert result.events_per_arrival is None
