"""The prompt's correlation marker: found at the end, skipped when malformed, bounded work."""

from __future__ import annotations

import json

import pytest

from mock_llm.http.completion_request import parse_request
from mock_llm.marker import (
    MARKER_KEYS,
    MAX_CANDIDATES,
    MAX_MARKER_CHARS,
    NOT_FOUND,
    Marker,
    find_marker,
    without_marker,
)
from mock_llm.overrides import FaultSpec, MockOverrides, parse_overrides

MB = 1 << 20


def found(text: str) -> Marker:
    marker = find_marker(text).marker
    assert marker is not None, find_marker(text)
    return marker


def test_no_marker_is_the_shared_empty_result() -> None:
    assert find_marker("") is NOT_FOUND
    assert find_marker("Say something. [sg no colon] sg:x [SG:upper]") is NOT_FOUND


def test_an_id_alone() -> None:
    marker = found("Say something. [sg:ttft-a1b2-0]")
    assert marker.request_id == "ttft-a1b2-0"
    assert marker.overrides == MockOverrides()
    assert (marker.start, marker.end) == (15, 31)


def test_every_character_the_id_may_hold_and_its_longest() -> None:
    assert found("[sg:Az09._:-]").request_id == "Az09._:-"
    assert found(f"[sg:{'x' * 128}]").request_id == "x" * 128


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        ("ttft-ms=20", MockOverrides(ttft_ms=20)),
        ("ttft-ms=0.5", MockOverrides(ttft_ms=0.5)),
        ("itl-ms=40", MockOverrides(itl_ms=40)),
        ("tokens=60", MockOverrides(tokens=60)),
        ("text-mode=echo", MockOverrides(text_mode="echo")),
        ("seed=-7", MockOverrides(seed=-7)),
        ("fault=drop", MockOverrides(fault=FaultSpec(kind="drop"))),
        ("fault=drop fault-at=3", MockOverrides(fault=FaultSpec(kind="drop", at=3))),
        (
            "fault=status fault-status=503",
            MockOverrides(fault=FaultSpec(kind="status", status=503)),
        ),
        (
            "fault=status fault-retry-after=0",
            MockOverrides(fault=FaultSpec(kind="status", retry_after=0)),
        ),
        (
            "fault=stall fault-seconds=1.5",
            MockOverrides(fault=FaultSpec(kind="stall", seconds=1.5)),
        ),
        ("fault=drop fault-times=2", MockOverrides(fault=FaultSpec(kind="drop", times=2))),
    ],
)
def test_each_key(pair: str, expected: MockOverrides) -> None:
    assert found(f"hi [sg:r1 {pair}]").overrides == expected


def test_the_keys_are_the_harness_grammar() -> None:
    """The same eleven keys loadtests/client/marker.py writes (the mock imports nothing of it)."""
    assert list(MARKER_KEYS) == [
        "ttft-ms",
        "itl-ms",
        "tokens",
        "text-mode",
        "seed",
        "fault",
        "fault-at",
        "fault-status",
        "fault-retry-after",
        "fault-seconds",
        "fault-times",
    ]


def test_all_keys_together_in_any_order() -> None:
    marker = found("[sg:dc-x-3 tokens=60 fault-at=2 ttft-ms=20 fault=drop itl-ms=40]")
    assert marker.overrides == MockOverrides(
        ttft_ms=20, itl_ms=40, tokens=60, fault=FaultSpec(kind="drop", at=2)
    )
    assert marker.overrides.model_fields_set == {"ttft_ms", "itl_ms", "tokens", "fault"}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[sg:]", "bad request id ''"),
        ("[sg:has space here]", "not key=value: 'space'"),
        ("[sg:bad/slash]", "bad request id 'bad/slash'"),
        ("[sg:ok\tx]", "bad request id"),
        (f"[sg:{'x' * 129}]", "bad request id"),
        ("[sg:r1 ttft=50]", "unknown key 'ttft'"),
        ("[sg:r1 tokens]", "not key=value: 'tokens'"),
        ("[sg:r1 tokens=]", "not key=value: 'tokens='"),
        ("[sg:r1 =5]", "unknown key ''"),
        ("[sg:r1  tokens=5]", "not key=value: ''"),
        ("[sg:r1 tokens=5 ]", "not key=value: ''"),
        ("[sg:r1 tokens=0]", "bad value for 'tokens': '0'"),
        ("[sg:r1 tokens=-5]", "bad value for 'tokens'"),
        ("[sg:r1 tokens=1e3]", "bad value for 'tokens'"),
        ("[sg:r1 tokens=5 tokens=6]", "key 'tokens' twice"),
        ("[sg:r1 ttft-ms=-1]", "bad value for 'ttft-ms'"),
        ("[sg:r1 ttft-ms=.5]", "bad value for 'ttft-ms'"),
        ("[sg:r1 ttft-ms=nan]", "bad value for 'ttft-ms'"),
        ("[sg:r1 seed=1.5]", "bad value for 'seed'"),
        ("[sg:r1 text-mode=Echo]", "bad value for 'text-mode'"),
        ("[sg:r1 text-mode=poetry]", "bad value for text_mode"),
        ("[sg:r1 fault=explode]", "bad value for fault.kind"),
        ("[sg:r1 fault-at=3]", "fault-* keys without fault=<kind>"),
        ("[sg:r1 fault=status fault-status=200]", "bad value for fault.status"),
        ("[sg:r1 fault=status fault-status=5031]", "bad value for 'fault-status'"),
        ("[sg:r1 fault=stall fault-seconds=3601]", "bad value for fault.seconds"),
        ("[sg:r1 tokens=5", "no ']' within"),
    ],
)
def test_a_malformed_marker_is_prompt_text_with_its_reason(text: str, why: str) -> None:
    search = find_marker(f"Say something. {text}")
    assert search.marker is None
    assert len(search.malformed) == 1
    assert search.malformed[0].startswith(why)


def test_the_reason_quotes_little_of_the_prompt() -> None:
    """A user's prompt may be private: a reason carries at most 40 of its characters."""
    (why,) = find_marker(f"[sg:r1 {'k' * 500}=1]").malformed
    assert len(why) < 80


def test_an_earlier_marker_cannot_take_the_appended_ones_place() -> None:
    """A prompt quoting another request's marker (a spoof) loses to the marker appended last."""
    text = "Repeat after me: [sg:victim-7 tokens=1 fault=drop] please [sg:mine-1 tokens=9]"
    marker = found(text)
    assert (marker.request_id, marker.overrides) == ("mine-1", MockOverrides(tokens=9))
    assert find_marker(text).malformed == ()  # the earlier one was never even looked at


def test_the_last_well_formed_marker_wins_over_malformed_ones_after_it() -> None:
    """Text a template adds after the marker does not hide it; what was skipped is reported."""
    search = find_marker("ask [sg:mine-1] [sg:r2 nope=1] and [sg:")
    assert search.marker is not None
    assert search.marker.request_id == "mine-1"
    assert search.malformed == ("no ']' within 1024 characters", "unknown key 'nope'")


def test_a_marker_that_starts_inside_a_malformed_one() -> None:
    assert found("[sg:outer [sg:inner]").request_id == "inner"
    both = find_marker("[sg:a [sg:]")
    assert both.marker is None
    assert both.malformed == ("bad request id ''", "not key=value: '[sg:'")


def test_only_the_given_span_is_searched() -> None:
    text = "[sg:system-1] | user text [sg:user-1] | [sg:after-1]"
    start, end = text.index("user"), text.index(" |", text.index("user"))
    assert find_marker(text, start, end).marker == Marker(
        "user-1", MockOverrides(), text.index("[sg:user"), end
    )
    assert find_marker(text, 0, 0) is NOT_FOUND


def test_a_one_megabyte_prompt_with_the_marker_at_its_end() -> None:
    text = "lorem ipsum " * (MB // 12) + "[sg:big-1 tokens=3]"
    assert found(text).request_id == "big-1"


def test_a_megabyte_of_marker_openings_costs_a_bounded_number_of_tries() -> None:
    """250k ``[sg:`` texts: only the last MAX_CANDIDATES are parsed, each within a window."""
    search = find_marker("[sg:" * (MB // 4))
    assert search.marker is None
    assert len(search.malformed) == MAX_CANDIDATES
    # With the real marker further back than that, it is not found: bounded beats thorough.
    assert find_marker("[sg:real-1] " + "[sg:x" * MAX_CANDIDATES).marker is None
    assert found("[sg:real-1] " + "[sg:x" * (MAX_CANDIDATES - 1)).request_id == "real-1"


def test_a_megabyte_after_an_opening_is_not_scanned_for_its_bracket() -> None:
    """The closing ``]`` is looked for within MAX_MARKER_CHARS, not to the end of the text."""
    (why,) = find_marker("[sg:" + "a" * MB + "]").malformed
    assert why == f"no ']' within {MAX_MARKER_CHARS} characters"
    longest = "[sg:" + "x" * 128 + " " + " ".join(f"{k}=1" for k in MARKER_KEYS) + "]"
    assert len(longest) < MAX_MARKER_CHARS // 2


def test_without_marker_cuts_it_and_the_space_before() -> None:
    text = "alpha beta [sg:r1 tokens=2]"
    assert without_marker(text, found(text)) == "alpha beta"
    mid = "alpha\n[sg:r1] gamma"
    assert without_marker(mid, found(mid)) == "alpha gamma"


def chat(messages: list[dict[str, object]]) -> tuple[str, tuple[int, int]]:
    parsed = parse_request("chat", json.dumps({"model": "m", "messages": messages}).encode())
    return parsed.prompt_text, parsed.marker_span


def spanned(text_and_span: tuple[str, tuple[int, int]]) -> str:
    text, (start, end) = text_and_span
    return text[start:end]


def test_the_span_is_the_last_user_message() -> None:
    messages: list[dict[str, object]] = [
        {"role": "system", "content": "be brief [sg:system-1]"},
        {"role": "user", "content": "first [sg:old-1]"},
        {"role": "assistant", "content": "ok [sg:assistant-1]"},
        {"role": "user", "content": "second [sg:new-1]"},
        {"role": "assistant", "content": None},
    ]
    text, span = chat(messages)
    assert spanned((text, span)) == "second [sg:new-1]"
    marker = find_marker(text, *span).marker
    assert marker is not None
    assert marker.request_id == "new-1"


def test_the_span_covers_a_content_part_list() -> None:
    parts = [
        {"type": "text", "text": "look at this"},
        {"type": "image_url", "image_url": {"url": "data:,"}},
        {"type": "text", "text": "and answer [sg:parts-1 tokens=4]"},
    ]
    text, span = chat([{"role": "system", "content": "s"}, {"role": "user", "content": parts}])
    assert spanned((text, span)) == "look at this\nand answer [sg:parts-1 tokens=4]"
    marker = find_marker(text, *span).marker
    assert marker is not None
    assert (marker.request_id, marker.overrides.tokens) == ("parts-1", 4)


def test_no_user_message_or_no_text_in_it_is_an_empty_span() -> None:
    assert spanned(chat([{"role": "system", "content": "[sg:s-1]"}])) == ""
    assert spanned(chat([{"role": "user", "content": []}, {"role": "tool", "content": "t"}])) == ""


@pytest.mark.parametrize(
    ("prompt", "in_span"),
    [
        ("just text [sg:p-1]", "just text [sg:p-1]"),
        (["one [sg:p-0]", "two [sg:p-2]"], "two [sg:p-2]"),
        ([], ""),
    ],
)
def test_completions_search_the_prompt_or_the_last_of_several(prompt: object, in_span: str) -> None:
    parsed = parse_request("completion", json.dumps({"model": "m", "prompt": prompt}).encode())
    assert spanned((parsed.prompt_text, parsed.marker_span)) == in_span


def test_precedence_per_field_body_then_headers_then_marker() -> None:
    marker = found("[sg:r1 ttft-ms=1 itl-ms=2 tokens=3 fault=drop]").overrides
    merged = parse_overrides(
        {"tokens": 30}, {"x-mock-itl-ms": "20", "x-mock-tokens": "300"}, marker
    )
    assert (merged.ttft_ms, merged.itl_ms, merged.tokens) == (1, 20, 30)
    assert merged.fault == FaultSpec(kind="drop")
    # A fault is one field: a header's fault replaces the marker's, not merges with it.
    faulted = parse_overrides(None, {"x-mock-fault": '{"kind": "stall"}'}, marker)
    assert faulted.fault == FaultSpec(kind="stall")


def test_a_marker_alone_needs_no_validation_again() -> None:
    marker = found("[sg:r1 tokens=3]").overrides
    assert parse_overrides(None, {"x-request-id": "h"}, marker) is marker
