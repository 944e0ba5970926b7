"""TTFB = first body read arrival - sent."""

from loadtests.metrics import ttfb_ns


def test_ttfb() -> None:
    """sent 100, first read at 105 -> 5."""
    assert ttfb_ns(100, 105) == 5


def test_ttfb_without_body() -> None:
    """No read, no TTFB (not 0)."""
    assert ttfb_ns(100, None) is None
