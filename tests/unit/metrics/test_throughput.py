"""Output tokens/s = output_tokens / E2E seconds."""

import pytest

from loadtests.metrics import output_tokens_per_s


def test_tokens_per_second() -> None:
    """50 tokens in 0.5 s -> 100 tok/s."""
    assert output_tokens_per_s(50, 500_000_000) == 100.0


def test_zero_tokens() -> None:
    """No tokens in a known time -> 0.0."""
    assert output_tokens_per_s(0, 10) == 0.0


@pytest.mark.parametrize("e2e", [None, 0, -5])
def test_undefined_without_positive_e2e(e2e: int | None) -> None:
    """Unknown or non-positive E2E: None."""
    assert output_tokens_per_s(10, e2e) is None
