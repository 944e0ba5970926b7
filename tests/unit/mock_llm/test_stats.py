"""The lateness histogram: one token at a time and many at once agree."""

from __future__ import annotations

from mock_llm.stats import FINE_STEP_NS, MockStats


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


def test_many_at_once_equals_one_at_a_time() -> None:
    now = 100_000_000
    deadlines = [now - 30_000_000, now - 600_000, now - 1, now, now + 200_000]
    one, many = MockStats(), MockStats()
    for d in deadlines:
        one.observe_lateness(now - d)
    many.observe_lateness_many(now, deadlines)
    assert many.lateness_counts == one.lateness_counts
    assert many.lateness_sum_ns == one.lateness_sum_ns
    assert many.lateness_max_ns == one.lateness_max_ns == 30_000_000
