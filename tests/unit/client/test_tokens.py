"""Token extraction: which events are content, and when they arrived."""

from __future__ import annotations

import json

import pytest

from loadtests.client.records import RequestRecord
from loadtests.client.sse import SSEEvent
from loadtests.client.tokens import (
    StreamResult,
    TokenEvent,
    events_from_reads,
    extract_tokens,
    tokens_from_record,
)


def timed(*items: tuple[int, object]) -> list[tuple[int, SSEEvent]]:
    """``(t, obj)`` -> ``(t, SSEEvent(json))``; strings are sent verbatim."""
    return [(t, SSEEvent(obj if isinstance(obj, str) else json.dumps(obj))) for t, obj in items]


def chat(content: object = None, *, role: str | None = None, finish: str | None = None) -> object:
    delta: dict[str, object] = {}
    if role is not None:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


# --- service format --------------------------------------------------------------------


def test_service_tokens_one_per_event() -> None:
    """Each {"token": ...} event is one content event of one token."""
    result = extract_tokens(
        timed((105, {"token": "He"}), (115, {"token": "llo"}), (120, "[DONE]")), "service"
    )
    assert result.tokens == [TokenEvent(105, "He", 1), TokenEvent(115, "llo", 1)]
    assert result.done
    assert result.output_tokens == 2
    assert result.text == "Hello"
    assert result.first_event_ns == 105
    assert result.last_event_ns == 120
    assert result.n_events == 3
    assert result.error is None
    assert result.malformed == 0


def test_service_empty_token_is_an_event_not_a_token() -> None:
    """An empty token string counts for first event, not for first token."""
    result = extract_tokens(timed((101, {"token": ""}), (110, {"token": "a"})), "service")
    assert result.first_event_ns == 101
    assert result.first_token_ns == 110
    assert result.output_tokens == 1
    assert result.unrecognized == 0


def test_service_error_event() -> None:
    """An error object is kept; it is not a token."""
    error = {"type": "upstream_timeout", "message": "upstream timed out"}
    result = extract_tokens(timed((105, {"token": "a"}), (200, {"error": error})), "service")
    assert result.error == error
    assert result.output_tokens == 1
    assert not result.done


def test_first_error_is_kept() -> None:
    """A later error does not overwrite the first."""
    result = extract_tokens(
        timed((1, {"error": {"type": "a"}}), (2, {"error": {"type": "b"}})), "service"
    )
    assert result.error == {"type": "a"}


def test_error_event_type_with_plain_data() -> None:
    """``event: error`` with non-JSON data is an error, not malformed data."""
    result = extract_tokens([(5, SSEEvent("boom", event="error"))], "service")
    assert result.error == {"message": "boom"}
    assert result.malformed == 0


def test_error_event_type_with_json_object() -> None:
    """``event: error`` with a JSON object keeps the object as the error."""
    result = extract_tokens([(5, SSEEvent('{"message": "x"}', event="error"))], "service")
    assert result.error == {"message": "x"}
    assert result.unrecognized == 0


def test_string_error_value_is_wrapped() -> None:
    """``{"error": "text"}`` becomes ``{"message": "text"}``."""
    result = extract_tokens(timed((5, {"error": "overloaded"})), "openai")
    assert result.error == {"message": "overloaded"}


@pytest.mark.parametrize("data", ["not json", "[1, 2]", '"token"', "42", "", "{"])
def test_malformed_data_is_counted(data: str) -> None:
    """Data that is not [DONE] and not a JSON object is malformed, never a token."""
    result = extract_tokens([(5, SSEEvent(data))], "service")
    assert result.malformed == 1
    assert result.tokens == []
    assert result.first_event_ns == 5


def test_wrong_format_shows_as_unrecognized() -> None:
    """OpenAI chunks read as the service format yield no tokens but say so."""
    result = extract_tokens(timed((5, chat("a")), (6, chat("b"))), "service")
    assert result.tokens == []
    assert result.unrecognized == 2


def test_unknown_format_is_rejected() -> None:
    """A typo in the format name fails loudly."""
    with pytest.raises(ValueError, match="unknown stream format"):
        extract_tokens([], "sglang")  # type: ignore[arg-type]


# --- openai format ---------------------------------------------------------------------


def test_openai_role_only_and_empty_chunks_are_not_tokens() -> None:
    """The role chunk and empty content are events; the first token is the first text."""
    result = extract_tokens(
        timed(
            (101, chat("", role="assistant")),
            (103, chat(role="assistant")),
            (105, chat("Hi")),
            (115, chat(" there")),
            (116, chat(finish="stop")),
            (117, "[DONE]"),
        ),
        "openai",
    )
    assert result.first_event_ns == 101
    assert result.first_token_ns == 105
    assert result.token_arrivals_ns == [105, 115]
    assert result.output_tokens == 2
    assert result.done
    assert result.unrecognized == 0
    assert result.malformed == 0


def test_openai_null_content_is_not_a_token() -> None:
    """``"content": null`` (tool-call deltas) is not content."""
    chunk = {"choices": [{"index": 0, "delta": {"content": None, "tool_calls": []}}]}
    result = extract_tokens(timed((5, chunk)), "openai")
    assert result.tokens == []
    assert result.unrecognized == 0


def test_openai_usage_chunk_sets_output_tokens() -> None:
    """With include_usage the last chunk has choices == [] and the token count wins."""
    usage = {
        "choices": [],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
    }
    result = extract_tokens(
        timed((105, chat("ab")), (115, chat("cde")), (116, usage), (117, "[DONE]")), "openai"
    )
    assert result.usage_completion_tokens == 5
    # Multi-token chunks: 2 content events, 5 tokens.
    assert len(result.tokens) == 2
    assert all(t.n_tokens == 1 for t in result.tokens)
    assert result.output_tokens == 5
    assert result.last_event_ns == 117


def test_openai_null_usage_is_ignored() -> None:
    """Chunks carry ``"usage": null`` until the last one."""
    chunk = chat("a")
    assert isinstance(chunk, dict)
    chunk["usage"] = None
    result = extract_tokens(timed((5, chunk)), "openai")
    assert result.usage_completion_tokens is None
    assert result.output_tokens == 1


def test_openai_legacy_completion_text() -> None:
    """Legacy completion chunks carry ``choices[0].text``; empty text is not a token."""

    def completion(text: str) -> object:
        return {
            "object": "text_completion",
            "choices": [{"index": 0, "text": text, "finish_reason": None}],
        }

    result = extract_tokens(
        timed((100, completion("")), (110, completion("a")), (120, completion("b"))), "openai"
    )
    assert result.token_arrivals_ns == [110, 120]
    assert result.text == "ab"
    assert result.unrecognized == 0


def test_openai_error_object() -> None:
    """``{"error": {...}}`` mid-stream is the error."""
    error = {"message": "rate limited", "type": "rate_limit_error", "code": "429"}
    result = extract_tokens(timed((5, chat("a")), (9, {"error": error})), "openai")
    assert result.error == error


def test_openai_bool_usage_is_not_a_count() -> None:
    """``completion_tokens: true`` is not an int count."""
    result = extract_tokens(
        timed((5, {"choices": [], "usage": {"completion_tokens": True}})), "openai"
    )
    assert result.usage_completion_tokens is None


def test_empty_stream() -> None:
    """No events: no times, no tokens, not done."""
    result = extract_tokens([], "openai")
    assert result == StreamResult(format="openai")
    assert result.first_token_ns is None
    assert result.last_token_ns is None
    assert result.output_tokens == 0


# --- arrival times from reads ----------------------------------------------------------


def test_event_gets_arrival_of_the_read_that_completed_it() -> None:
    """A split event gets its last read's time; events completed by one read share it."""
    reads = [
        (100, b'data: {"token": "a"}\n'),
        (110, b'\ndata: {"token": "b"}\n\ndata: {"tok'),
        (130, b'en": "c"}\n\n'),
    ]
    events = events_from_reads(reads)
    assert [t for t, _ in events] == [110, 110, 130]
    assert [e.data for _, e in events] == ['{"token": "a"}', '{"token": "b"}', '{"token": "c"}']


def test_tokens_from_record() -> None:
    """A record's reads go through the parser and the extractor."""
    record = RequestRecord(request_id="r", scenario="s", target="t", sent_ns=90, status=200)
    record.add_read(100, b': ping\n\ndata: {"token": "a"}\n\n')
    record.add_read(112, b'data: {"token": "b"}\n\ndata: [DONE]\n\n')
    result = tokens_from_record(record, "service")
    assert result.token_arrivals_ns == [100, 112]
    assert result.done
    assert result.n_events == 3
