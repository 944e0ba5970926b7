"""Integrity: each stream's text against the mock's generated text for its request."""

from __future__ import annotations

from loadtests.gate.probes.integrity import (
    Expected,
    StreamText,
    expected_from_records,
    first_difference,
    integrity_numbers,
)

HARD = "a 中文\n🙂👩‍💻 data: [DONE]\\"


def test_the_expected_text_is_the_last_attempt_that_finished() -> None:
    records = [
        {"finish_reason": "fault", "text": "x", "tokens_planned": 1},
        {"finish_reason": "completed", "text": "abc", "tokens_planned": 3},
        {"finish_reason": "rejected", "text": None, "tokens_planned": 0},
    ]
    assert expected_from_records(records) == Expected("abc", 3)
    assert expected_from_records([{"finish_reason": "fault", "text": "x"}]) is None
    assert expected_from_records([]) is None


def test_first_difference() -> None:
    assert first_difference("abc", "abc") is None
    assert first_difference("abc", "abd") == 2
    assert first_difference("abc", "ab") == 2
    assert first_difference("中文", "中\ufffd") == 1


def test_equal_texts_match_whatever_the_chunking() -> None:
    """Two events carrying 8 tokens' text: a service may merge chunks."""
    item = StreamText("r", Expected(HARD, 8), HARD, 2)
    assert integrity_numbers([item]) == {
        "streams": 1,
        "mismatched_streams": 0,
        "lost_tokens": 0,
        "duplicated_tokens": 0,
        "first_mismatch": None,
    }


def test_lost_and_duplicated_tokens_count_on_mismatched_streams() -> None:
    items = [
        StreamText("lost", Expected("abcdefghij", 10), "abcdefghi", 9),
        StreamText("dup", Expected("abc", 3), "abcc", 4),
        StreamText("ok", Expected("abc", 3), "abc", 3),
    ]
    numbers = integrity_numbers(items)
    assert (numbers["mismatched_streams"], numbers["lost_tokens"]) == (2, 1)
    assert numbers["duplicated_tokens"] == 1
    assert numbers["first_mismatch"] == (
        "lost: differs at character 9 of 10: expected 'abcdefghij', got 'abcdefghi'"
    )


def test_mangled_multibyte_text_is_a_mismatch_even_with_every_token() -> None:
    """Same event count, a character replaced (bytes split and decoded apart)."""
    got = HARD.replace("🙂", "\ufffd\ufffd")
    numbers = integrity_numbers([StreamText("m", Expected(HARD, 8), got, 8)])
    assert numbers["mismatched_streams"] == 1
    assert (numbers["lost_tokens"], numbers["duplicated_tokens"]) == (0, 0)


def test_text_bodies_count_mismatches_only_and_a_missing_record_is_one() -> None:
    items = [
        StreamText("t", Expected("abc", 3), "ab", None),
        StreamText("gone", None, "abc", 3),
    ]
    numbers = integrity_numbers(items)
    assert numbers["mismatched_streams"] == 2
    assert numbers["lost_tokens"] == 0
    assert numbers["first_mismatch"].startswith("t: differs at character 2")
    assert "no upstream record" in integrity_numbers(items[1:])["first_mismatch"]
