"""The service's CPU per relayed token, from two usage samples (hand-computed)."""

from __future__ import annotations

import os

from loadtests.systems.service_usage import UsageSample, sample, usage_numbers


def test_cpu_per_token_divides_the_cpu_spent_by_the_tokens_read() -> None:
    before, after = UsageSample(1.0, 50 * 2**20), UsageSample(1.5, 60 * 2**20)
    assert usage_numbers(before, after, 10_000) == {
        "cpu_s": 0.5,
        "cpu_us_per_token": 50.0,
        "rss_mb": 60.0,
        "tokens": 10_000,
    }


def test_no_tokens_or_no_process_gives_no_per_token_figure() -> None:
    assert usage_numbers(UsageSample(1.0, 1), UsageSample(1.0, 1), 0)["cpu_us_per_token"] is None
    assert usage_numbers(None, UsageSample(1.0, 1), 5)["cpu_s"] is None


def test_sample_reads_a_live_process_and_not_a_dead_one() -> None:
    mine = sample(os.getpid())
    assert mine is not None
    assert mine.cpu_s > 0
    assert mine.rss_bytes > 0
    assert sample(2**22 + 12345) is None
