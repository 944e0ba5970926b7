"""TTFT = first content event arrival - sent."""

from loadtests.metrics import ttft_ns


def test_ttft() -> None:
    """sent 100, first token at 105 -> 5."""
    assert ttft_ns(100, 105) == 5


def test_ttft_without_content() -> None:
    """A stream without content has no TTFT."""
    assert ttft_ns(100, None) is None
