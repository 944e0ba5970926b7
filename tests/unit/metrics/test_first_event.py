"""Time to first event = first dispatched event arrival - sent."""

from loadtests.metrics import time_to_first_event_ns


def test_time_to_first_event() -> None:
    """sent 100, first event at 103 -> 3."""
    assert time_to_first_event_ns(100, 103) == 3


def test_no_event() -> None:
    """No event, None."""
    assert time_to_first_event_ns(100, None) is None
