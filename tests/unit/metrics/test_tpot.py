"""TPOT = (last token - first token) / (output_tokens - 1)."""

from loadtests.metrics import tpot_ns


def test_tpot_one_token_per_event() -> None:
    """tokens at 105, 115, 125 -> 20 / 2 = 10."""
    assert tpot_ns(105, 125, 3) == 10.0


def test_tpot_uses_usage_count_for_multi_token_chunks() -> None:
    """Two chunks at 105 and 125 carrying 5 tokens: 20 / 4 = 5, while mean ITL is 20."""
    assert tpot_ns(105, 125, 5) == 5.0


def test_tpot_needs_two_tokens() -> None:
    """Fewer than 2 tokens or no content: None."""
    assert tpot_ns(105, 105, 1) is None
    assert tpot_ns(None, None, 0) is None
    assert tpot_ns(None, None, 5) is None
