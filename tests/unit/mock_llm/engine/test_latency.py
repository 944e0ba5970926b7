"""The latency model: absolute deadlines, seeded draws, honest distributions."""

from __future__ import annotations

import random
import statistics

import pytest

from mock_llm.engine.latency import (
    deadlines_ns,
    draw_gaps_ns,
    draw_output_tokens,
    estimate_prompt_tokens,
    ttft_ns,
    with_stall,
)


def test_deadlines_are_absolute_cumulative() -> None:
    """start=1000, first=100, gaps [10, 20] -> [1100, 1110, 1130]."""
    assert deadlines_ns(1000, 100, [10, 20]) == [1100, 1110, 1130]
    assert deadlines_ns(5, 0, []) == [5]


def test_stall_shifts_from_index_on() -> None:
    assert with_stall([10, 20, 30], 1, 5) == [10, 25, 35]
    assert with_stall([10, 20, 30], 0, 5) == [15, 25, 35]


def test_ttft_includes_prefill_per_prompt_token() -> None:
    assert ttft_ns(100, 0.5, 40) == 120_000_000
    assert estimate_prompt_tokens("") == 0
    assert estimate_prompt_tokens("abcde") == 2


def test_constant_gaps() -> None:
    assert draw_gaps_ns(random.Random(1), 3, mean_ms=10) == [10_000_000] * 3
    assert draw_gaps_ns(random.Random(1), 2, mean_ms=10, slowdown=1.5) == [15_000_000] * 2
    assert draw_gaps_ns(random.Random(1), 0, mean_ms=10) == []


@pytest.mark.parametrize("dist", ["normal", "lognormal"])
def test_seeded_draws_reproduce(dist: str) -> None:
    a = draw_gaps_ns(random.Random("s"), 50, mean_ms=10, distribution=dist, jitter_ms=3)
    b = draw_gaps_ns(random.Random("s"), 50, mean_ms=10, distribution=dist, jitter_ms=3)
    c = draw_gaps_ns(random.Random("t"), 50, mean_ms=10, distribution=dist, jitter_ms=3)
    assert a == b
    assert a != c


@pytest.mark.parametrize("dist", ["normal", "lognormal"])
def test_distributions_have_the_asked_mean_and_spread(dist: str) -> None:
    gaps = draw_gaps_ns(random.Random(7), 20_000, mean_ms=10, distribution=dist, jitter_ms=3)
    ms = [g / 1e6 for g in gaps]
    assert min(ms) >= 0
    assert statistics.fmean(ms) == pytest.approx(10, abs=0.15)
    assert statistics.pstdev(ms) == pytest.approx(3, abs=0.2)


def test_lognormal_is_right_skewed() -> None:
    ms = draw_gaps_ns(random.Random(3), 20_000, mean_ms=10, distribution="lognormal", jitter_ms=5)
    assert statistics.median(ms) < statistics.fmean(ms)


def test_unknown_distribution_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown"):
        draw_gaps_ns(random.Random(), 2, mean_ms=1, distribution="pareto", jitter_ms=1)


def test_output_length_and_finish_reason() -> None:
    rng = random.Random(0)
    assert draw_output_tokens(rng, mode="fixed", tokens=50, spread=0, max_tokens=None) == (
        50,
        "stop",
    )
    assert draw_output_tokens(rng, mode="fixed", tokens=50, spread=0, max_tokens=10) == (
        10,
        "length",
    )
    assert draw_output_tokens(rng, mode="fixed", tokens=50, spread=0, max_tokens=50) == (
        50,
        "length",
    )
    assert draw_output_tokens(rng, mode="max_tokens", tokens=5, spread=0, max_tokens=8) == (
        8,
        "length",
    )
    lengths = {
        draw_output_tokens(rng, mode="uniform", tokens=20, spread=5, max_tokens=None)[0]
        for _ in range(500)
    }
    assert lengths == set(range(15, 26))
    normal = [
        draw_output_tokens(rng, mode="normal", tokens=100, spread=10, max_tokens=None)[0]
        for _ in range(5000)
    ]
    assert statistics.fmean(normal) == pytest.approx(100, abs=1)
