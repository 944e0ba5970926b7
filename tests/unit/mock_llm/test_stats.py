"""The lateness histogram: one write at a time and folded stamps agree."""

from __future__ import annotations

from mock_llm.stats import FINE_STEP_NS, LATENESS_BOUNDS_NS, MockStats


def test_lateness_buckets_by_hand() -> None:
    """Early counts as on time; 1 ns late is the first fine bucket; 250 us + 1 ns the second."""
    stats = MockStats()
    for late in (-5, 0, 1, FINE_STEP_NS, FINE_STEP_NS + 1, 30_000_000):
        stats.observe_lateness(late)
    assert stats.lateness_counts[0] == 4
    assert stats.lateness_counts[1] == 1
    assert sum(stats.lateness_counts) == 6
    assert stats.lateness_sum_ns == 1 + FINE_STEP_NS + FINE_STEP_NS + 1 + 30_000_000
    assert stats.lateness_max_ns == 30_000_000


def test_folded_stamps_equal_one_at_a_time() -> None:
    """Written at 100 ms against deadlines 30 ms, 0.6 ms, 1 ns and 0 before and 0.2 ms after."""
    now = 100_000_000
    deadlines = [now - 30_000_000, now - 600_000, now - 1, now, now + 200_000]
    one, folded = MockStats(), MockStats()
    for d in deadlines:
        one.observe_lateness(now - d)
    latest = folded.observe_written([now] * len(deadlines), deadlines)
    assert latest == 30_000_000
    assert folded.lateness_counts == one.lateness_counts
    assert folded.lateness_counts[0] == 3  # 1 ns late, on time, early
    assert folded.lateness_counts[2] == 1  # 0.6 ms: (0.5, 0.75]
    assert folded.lateness_sum_ns == one.lateness_sum_ns == 30_000_000 + 600_000 + 1
    assert folded.lateness_max_ns == one.lateness_max_ns == 30_000_000


def test_folding_past_the_last_bucket_and_nothing() -> None:
    """Beyond the last bound is the overflow bucket; an empty fold changes nothing."""
    stats = MockStats()
    assert stats.observe_written([], []) == 0
    assert sum(stats.lateness_counts) == 0
    late = LATENESS_BOUNDS_NS[-1] + 1
    assert stats.observe_written([late, 5], [0, 10]) == late
    assert stats.lateness_counts[-1] == 1
    assert stats.lateness_counts[0] == 1  # 5 ns early
    assert stats.lateness_sum_ns == late
