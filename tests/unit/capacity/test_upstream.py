"""What the mock saw of a capacity run, in one sentence: a pure function of two readings."""

from __future__ import annotations

from loadtests.capacity.upstream import upstream_line, upstream_summary
from loadtests.scenarios.judgement import NOT_FORWARDED

MOCK = "http://127.0.0.1:9"


def test_the_run_s_share_is_the_difference_of_two_readings() -> None:
    before = {"markers_seen": 10, "tokens_generated": 500}
    after = {"markers_seen": 42, "tokens_generated": 2100}
    summary = upstream_summary(MOCK, before, after, streams_sent=32)
    assert summary == {
        "mock": MOCK,
        "streams_sent": 32,
        "marked_requests_seen": 32,
        "tokens_generated": 1600,
    }
    assert upstream_line(summary) == (
        "upstream: the mock saw 32 marked requests of 32 streams sent, generated 1600 tokens"
    )


def test_a_mock_that_heard_nothing_says_the_service_forwards_nothing() -> None:
    reading = {"markers_seen": 7, "tokens_generated": 70}
    summary = upstream_summary(MOCK, reading, reading, streams_sent=12)
    assert upstream_line(summary) == f"upstream: {NOT_FORWARDED}"


def test_tokens_without_markers_mean_the_prompt_was_not_forwarded() -> None:
    summary = upstream_summary(
        MOCK,
        {"markers_seen": 0, "tokens_generated": 0},
        {"markers_seen": 0, "tokens_generated": 9},
        3,
    )
    assert "does not forward the prompt" in upstream_line(summary)


def test_a_missing_reading_is_not_a_zero() -> None:
    summary = upstream_summary(MOCK, None, {"markers_seen": 5, "tokens_generated": 5}, 3)
    assert summary["marked_requests_seen"] is None
    assert upstream_line(summary).startswith("upstream: not measurable")
