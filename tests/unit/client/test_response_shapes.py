"""Response shapes over hand-made byte streams, split at every offset."""

from __future__ import annotations

import json

import pytest

from loadtests.client.leaving import ContentCounter
from loadtests.client.records import RequestRecord
from loadtests.client.response_shapes import (
    OPENAI_CHAT,
    SERVICE_SSE,
    ResponseShape,
    decide_framing,
    read_reads,
    read_record,
)
from loadtests.client.tokens import StreamResult


def sse(*objs: object) -> bytes:
    return b"".join(
        b"data: "
        + (o.encode() if isinstance(o, str) else json.dumps(o, ensure_ascii=False).encode())
        + b"\n\n"
        for o in objs
    )


def chat(content: str) -> dict[str, object]:
    return {"choices": [{"index": 0, "delta": {"content": content}}]}


def completion(text: str) -> dict[str, object]:
    return {"choices": [{"index": 0, "text": text, "finish_reason": None}]}


def lines(*objs: object, end: bytes = b"\n") -> bytes:
    return b"".join(json.dumps(o, ensure_ascii=False).encode() + end for o in objs)


SERVICE_BODY = sse({"token": "Hé"}, {"token": "llo "}, {"token": "wörld"}, "[DONE]")
OPENAI_BODY = sse(
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    chat("Hi"),
    chat(" 世界"),
    {"choices": [], "usage": {"completion_tokens": 7}},
    "[DONE]",
)
COMPLETIONS_BODY = sse(completion("a"), completion("b"), "[DONE]")
OLLAMA_BODY = lines(
    {"model": "m", "message": {"role": "assistant", "content": "Hel"}, "done": False},
    {"model": "m", "message": {"role": "assistant", "content": "lo ✓"}, "done": False},
    {"model": "m", "message": {"role": "assistant", "content": ""}, "done": True, "eval_count": 2},
)


def every_byte(body: bytes) -> list[tuple[int, bytes]]:
    """One read per byte, read ``i`` at time ``i``: an event's time is its last byte."""
    return [(i, body[i : i + 1]) for i in range(len(body))]


def texts_and_times(result: StreamResult) -> list[tuple[int, str]]:
    return [(t.arrival_ns, t.text) for t in result.tokens]


CASES = [
    (SERVICE_SSE, None, SERVICE_BODY, ["Hé", "llo ", "wörld"]),
    (ResponseShape("sse-json"), "text/event-stream", SERVICE_BODY, ["Hé", "llo ", "wörld"]),
    (OPENAI_CHAT, None, OPENAI_BODY, ["Hi", " 世界"]),
    (ResponseShape("openai-completions"), None, COMPLETIONS_BODY, ["a", "b"]),
    (ResponseShape("ndjson"), None, OLLAMA_BODY, ["Hel", "lo ✓"]),
    (ResponseShape(), "text/event-stream", OPENAI_BODY, ["Hi", " 世界"]),
    (ResponseShape(), "text/event-stream; charset=utf-8", SERVICE_BODY, ["Hé", "llo ", "wörld"]),
    (ResponseShape(), "application/x-ndjson", OLLAMA_BODY, ["Hel", "lo ✓"]),
    (ResponseShape(), None, OLLAMA_BODY, ["Hel", "lo ✓"]),
    (ResponseShape(), None, SERVICE_BODY, ["Hé", "llo ", "wörld"]),
]


@pytest.mark.parametrize(("shape", "content_type", "body", "texts"), CASES)
def test_every_two_way_split_gives_the_same_tokens(
    shape: ResponseShape, content_type: str | None, body: bytes, texts: list[str]
) -> None:
    """Split anywhere: the same texts, each at the read that completed its event."""
    whole = read_reads([(0, body)], shape, content_type=content_type, complete=True)
    assert [t.text for t in whole.tokens] == texts
    completing = [
        t
        for t, _ in texts_and_times(
            read_reads(every_byte(body), shape, content_type=content_type, complete=True)
        )
    ]
    for cut in range(1, len(body)):
        result = read_reads(
            [(1, body[:cut]), (2, body[cut:])], shape, content_type=content_type, complete=True
        )
        expected = [
            (1 if at < cut else 2, text) for at, text in zip(completing, texts, strict=True)
        ]
        assert texts_and_times(result) == expected, cut
        assert result.done
        assert result.format == whole.format
        assert result.output_tokens == whole.output_tokens


def test_byte_by_byte_times_are_the_last_byte_of_each_event() -> None:
    result = read_reads(every_byte(SERVICE_BODY), SERVICE_SSE)
    ends = [
        SERVICE_BODY.index(b"\n\n", SERVICE_BODY.index(t.encode())) + 1
        for t in ["Hé", "llo ", "wörld"]
    ]
    assert result.token_arrivals_ns == ends


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_ndjson_line_ends(end: bytes) -> None:
    """LF and CRLF lines read the same."""
    result = read_reads(
        [(5, lines({"token": "a"}, {"token": "b"}, end=end))], ResponseShape("ndjson")
    )
    assert result.text == "ab"
    assert result.malformed == 0


def test_sse_crlf() -> None:
    body = SERVICE_BODY.replace(b"\n", b"\r\n")
    for cut in range(1, len(body)):
        result = read_reads([(1, body[:cut]), (2, body[cut:])], SERVICE_SSE)
        assert result.text == "Hé" + "llo " + "wörld"
        assert result.done


# --- text ------------------------------------------------------------------------------


def test_text_each_read_is_one_content_event() -> None:
    """text/plain raw tokens: a content event per non-empty read, words counted."""
    result = read_reads(
        [(10, b"Hello"), (20, b""), (30, b" big world")], ResponseShape("text"), complete=True
    )
    assert texts_and_times(result) == [(10, "Hello"), (30, " big world")]
    assert result.first_event_ns == 10
    assert result.n_events == 2
    assert result.output_tokens == 3
    assert result.tokens_counted_by == "words"
    assert result.done


def test_text_multibyte_split_belongs_to_the_completing_read() -> None:
    body = "a€b".encode()  # € is 3 bytes
    for cut in range(1, len(body)):
        result = read_reads([(1, body[:cut]), (2, body[cut:])], ResponseShape("text"))
        assert result.text == "a€b"
        assert "\ufffd" not in result.text
    result = read_reads([(1, body[:2]), (2, body[2:])], ResponseShape("text"))
    assert texts_and_times(result) == [(1, "a"), (2, "€b")]


def test_text_every_split_same_text_and_words() -> None:
    body = "Un café, s'il vous plaît — 谢谢\r\n".encode()
    for cut in range(1, len(body)):
        result = read_reads([(1, body[:cut]), (2, body[cut:])], ResponseShape("text"))
        assert result.text == body.decode()
        assert result.output_tokens == 7


def test_text_cut_inside_a_character_ends_with_a_replacement() -> None:
    result = read_reads([(1, b"ok \xe2\x82")], ResponseShape("text"))
    assert result.text == "ok \ufffd"
    assert result.token_arrivals_ns == [1]


def test_text_not_done_unless_the_body_ended() -> None:
    assert not read_reads([(1, b"x")], ResponseShape("text"), complete=False).done


# --- errors in every shape -------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "content_type", "body", "error"),
    [
        (
            SERVICE_SSE,
            None,
            sse({"token": "a"}, {"error": {"type": "upstream_timeout"}}),
            {"type": "upstream_timeout"},
        ),
        (ResponseShape("sse-json"), None, sse({"error": "boom"}), {"message": "boom"}),
        (
            ResponseShape("sse-json"),
            None,
            b"event: error\ndata: overloaded\n\n",
            {"message": "overloaded"},
        ),
        (
            OPENAI_CHAT,
            None,
            sse(chat("a"), {"error": {"code": 429, "message": "slow down"}}),
            {"code": 429, "message": "slow down"},
        ),
        (
            ResponseShape("openai-completions"),
            None,
            sse({"error": {"message": "x"}}),
            {"message": "x"},
        ),
        (
            ResponseShape("ndjson"),
            None,
            lines({"response": "a"}, {"error": "model not found"}),
            {"message": "model not found"},
        ),
        (ResponseShape("text"), None, b'{"error": {"message": "bad key"}}', {"message": "bad key"}),
        (
            ResponseShape(),
            "application/json",
            b'{"error": {"code": "model_not_found"}}',
            {"code": "model_not_found"},
        ),
        (ResponseShape(), "text/event-stream", sse({"error": "gone"}), {"message": "gone"}),
        (ResponseShape(), "text/plain", b'{"error": "nope"}', {"message": "nope"}),
    ],
)
def test_error_objects_fail_the_stream_with_their_message(
    shape: ResponseShape, content_type: str | None, body: bytes, error: dict[str, object]
) -> None:
    result = read_reads([(1, body)], shape, content_type=content_type, complete=True)
    assert result.error == error


def test_ndjson_done_ends_the_stream_and_gives_usage() -> None:
    body = OLLAMA_BODY + lines({"message": {"content": "late"}})
    result = read_reads([(1, body)], ResponseShape("ndjson"))
    assert result.text == "Hello ✓"
    assert result.done
    assert result.output_tokens == 2
    assert result.tokens_counted_by == "usage"
    assert result.token_field == "message.content"


def test_ndjson_generate_and_explicit_field() -> None:
    generate = lines({"response": "a", "done": False}, {"response": "b", "done": False})
    assert read_reads([(1, generate)], ResponseShape("ndjson")).text == "ab"
    custom = lines({"out": {"t": "x"}}, {"out": {"t": "y"}})
    result = read_reads([(1, custom)], ResponseShape("ndjson", "out.t"))
    assert result.text == "xy"
    assert result.unrecognized == 0


def test_ndjson_last_line_without_line_end_is_read_at_the_end() -> None:
    result = read_reads([(1, b'{"token": "a"}\n{"token": "b"}')], ResponseShape("ndjson"))
    assert texts_and_times(result) == [(1, "a"), (1, "b")]


def test_ndjson_non_object_lines_are_malformed() -> None:
    result = read_reads([(1, b"[1]\nnot json\n\n")], ResponseShape("ndjson"))
    assert result.malformed == 2
    assert result.n_events == 2


def test_sse_json_token_field_path() -> None:
    """Anthropic-like events: ``delta.text``; other events are events, not content."""
    body = sse(
        {"type": "message_start", "message": {"content": []}},
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Hi"}},
    )
    result = read_reads([(1, body)], ResponseShape("sse-json", "delta.text"), complete=True)
    assert result.text == "Hi"
    assert result.n_events == 2
    assert result.unrecognized == 1
    assert result.done  # ended normally: sse-json needs no [DONE]


def test_openai_needs_done() -> None:
    assert not read_reads([(1, sse(chat("a")))], OPENAI_CHAT, complete=True).done


def test_list_index_in_the_token_field() -> None:
    body = sse(chat("a"), chat("b"), "[DONE]")
    result = read_reads([(1, body)], ResponseShape("sse-json", "choices.0.delta.content"))
    assert result.text == "ab"


# --- auto ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "fmt", "detected"),
    [
        ("text/plain; charset=utf-8", b"Hello world", "text", "Content-Type text/plain -> text"),
        (
            "text/event-stream",
            OPENAI_BODY,
            "openai-chat",
            "Content-Type text/event-stream; first data object has choices -> openai-chat",
        ),
        (
            "text/event-stream",
            COMPLETIONS_BODY,
            "openai-completions",
            "choices[0].text -> openai-completions",
        ),
        (
            "text/event-stream",
            SERVICE_BODY,
            "sse-json",
            "first data object has 'token' -> sse-json (token)",
        ),
        (
            "application/x-ndjson",
            OLLAMA_BODY,
            "ndjson",
            "Content-Type application/x-ndjson -> ndjson",
        ),
        (
            None,
            OLLAMA_BODY,
            "ndjson",
            "no Content-Type, the first body line is a JSON object -> ndjson",
        ),
        (
            None,
            b"raw tokens",
            "text",
            "no Content-Type, the body is neither SSE nor JSON lines -> text",
        ),
        (None, SERVICE_BODY, "sse-json", "no Content-Type, the body starts like SSE"),
        (
            "application/octet-stream",
            b"{not json\n",
            "text",
            "starts with '{' but is not JSON lines",
        ),
    ],
)
def test_auto_decides_and_says_why(
    content_type: str | None, body: bytes, fmt: str, detected: str
) -> None:
    for cut in range(1, len(body)):
        result = read_reads(
            [(1, body[:cut]), (2, body[cut:])], ResponseShape(), content_type=content_type
        )
        assert result.format == fmt
        assert result.detected is not None
        assert detected in result.detected


def test_auto_anthropic_like_events_wait_for_the_first_text() -> None:
    body = sse(
        {"type": "message_start", "message": {"content": []}},
        {"type": "ping"},
        {"type": "content_block_delta", "delta": {"text": "Hi"}},
    )
    cut = body.index(b"\n\n") + 2  # the first event (undecided) arrives alone
    result = read_reads(
        [(1, body[:cut]), (2, body[cut:])], ResponseShape(), content_type="text/event-stream"
    )
    assert result.format == "sse-json"
    assert result.token_field == "delta.text"
    assert result.text == "Hi"
    assert result.n_events == 3
    assert result.first_event_ns == 1


def test_auto_with_token_field_uses_it() -> None:
    body = sse({"t": "a"}, {"t": "b"})
    result = read_reads([(1, body)], ResponseShape("auto", "t"), content_type="text/event-stream")
    assert (result.format, result.text) == ("sse-json", "ab")


def test_auto_on_an_empty_body() -> None:
    result = read_reads([], ResponseShape(), complete=True)
    assert result.format == "text"
    assert result.tokens == []


def test_decide_framing_waits_for_enough_bytes() -> None:
    assert decide_framing(None, b"da") is None
    assert decide_framing(None, b'{"token": "a"') is None
    assert decide_framing(None, b"da", final=True) == (
        "text",
        "no Content-Type, the body is neither SSE nor JSON lines",
    )
    assert decide_framing(None, b"\xef\xbb\xbf  data: x") is not None


def test_read_record_uses_content_type_and_completion() -> None:
    record = RequestRecord(request_id="r", scenario="s", target="t", sent_ns=0, status=200)
    record.response_headers = {"content-type": "text/plain"}
    record.complete = True
    record.add_read(5, b"a b")
    result = read_record(record, ResponseShape())
    assert (result.format, result.done, result.output_tokens) == ("text", True, 2)


# --- the model -------------------------------------------------------------------------


def test_shape_refusals() -> None:
    with pytest.raises(ValueError, match="unknown response shape 'xml'"):
        ResponseShape("xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="--token-field applies to auto, sse-json, ndjson"):
        ResponseShape("openai-chat", "token")
    with pytest.raises(ValueError, match="expected a dotted path"):
        ResponseShape("sse-json", "a..b")


def test_labels() -> None:
    assert SERVICE_SSE.label == "sse-json (token)"
    assert ResponseShape("sse-json").label == "sse-json (token)"
    assert ResponseShape("ndjson", "response").label == "ndjson (response)"
    assert OPENAI_CHAT.label == "openai-chat"


# --- counting while reading (a user who leaves after k content events) ---------------


def test_content_counter_counts_every_shape_read_by_read() -> None:
    record = RequestRecord(request_id="r", scenario="s", target="t", sent_ns=0)
    record.response_headers = {"content-type": "text/plain"}
    counter = ContentCounter(ResponseShape())
    counts = []
    for at, data in [(1, b"a"), (2, b" b"), (3, b"")]:
        record.add_read(at, data)
        counts.append(counter(record))
    assert counts == [1, 2, 2]

    record = RequestRecord(request_id="r", scenario="s", target="t", sent_ns=0)
    counter = ContentCounter(ResponseShape("ndjson"))
    body = lines({"response": "a"}, {"response": "b"})
    record.add_read(1, body[:5])
    assert counter(record) == 0
    record.add_read(2, body[5:])
    assert counter(record) == 2
