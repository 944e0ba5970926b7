"""E2E = last event arrival (or close, without events) - sent."""

from loadtests.metrics import e2e_ns


def test_e2e_last_event() -> None:
    """sent 100, last event 130, closed 140 -> 30: the close after the last event is not counted."""
    assert e2e_ns(100, 130, 140) == 30


def test_e2e_falls_back_to_close() -> None:
    """No event: closed 160 - sent 100."""
    assert e2e_ns(100, None, 160) == 60


def test_e2e_unknown() -> None:
    """Neither: None."""
    assert e2e_ns(100, None, None) is None
