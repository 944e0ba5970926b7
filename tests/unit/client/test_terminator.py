"""``terminator_seen``: the format's own end marker, apart from ``done`` (a body that ended)."""

from __future__ import annotations

import json

import pytest

from loadtests.client.response_shapes import OPENAI_CHAT, SERVICE_SSE, ResponseShape, read_reads


def sse(*data: str) -> bytes:
    return b"".join(f"data: {d}\n\n".encode() for d in data)


def ndjson(*objs: object) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


TOKEN = json.dumps({"token": "a"})
CHUNK = json.dumps({"choices": [{"index": 0, "delta": {"content": "a"}}]})


@pytest.mark.parametrize(
    ("shape", "body"),
    [
        (SERVICE_SSE, sse(TOKEN, "[DONE]")),
        (OPENAI_CHAT, sse(CHUNK, "[DONE]")),
        (ResponseShape("auto"), sse(TOKEN, "[DONE]")),
        (ResponseShape("ndjson"), ndjson({"token": "a", "done": False}, {"done": True})),
    ],
    ids=["sse-json", "openai-chat", "auto-sse", "ndjson"],
)
def test_the_end_marker_sets_terminator_seen_and_done(shape: ResponseShape, body: bytes) -> None:
    result = read_reads([(1, body)], shape, complete=True)
    assert (result.terminator_seen, result.done) == (True, True)


@pytest.mark.parametrize(
    ("shape", "body"),
    [
        (SERVICE_SSE, sse(TOKEN)),
        (ResponseShape("auto"), sse(TOKEN)),
        (ResponseShape("ndjson"), ndjson({"token": "a", "done": False})),
    ],
    ids=["sse-json", "auto-sse", "ndjson"],
)
def test_a_body_that_just_ends_is_done_but_no_terminator(shape: ResponseShape, body: bytes) -> None:
    """Metrics contract 2 keeps ``done`` for a complete body; the marker was never sent."""
    result = read_reads([(1, body)], shape, complete=True)
    assert (result.done, result.terminator_seen) == (True, False)


def test_openai_without_done_has_neither() -> None:
    result = read_reads([(1, sse(CHUNK))], OPENAI_CHAT, complete=True)
    assert (result.done, result.terminator_seen) == (False, False)


def test_a_cut_body_has_no_terminator() -> None:
    result = read_reads([(1, sse(TOKEN))], SERVICE_SSE, complete=False)
    assert (result.done, result.terminator_seen) == (False, False)


def test_text_takes_the_http_message_end_as_its_terminator() -> None:
    """Text has no in-band marker: a complete message terminates it, a cut one does not."""
    shape = ResponseShape("text")
    assert read_reads([(1, b"ab")], shape, complete=True).terminator_seen
    assert not read_reads([(1, b"ab")], shape, complete=False).terminator_seen


def test_done_inside_an_sse_json_token_is_text_not_the_terminator() -> None:
    """A token whose text is ``data: [DONE]`` (the mock's ``hard`` mode) ends nothing."""
    body = sse(json.dumps({"token": "data: [DONE]"}))
    result = read_reads([(1, body)], SERVICE_SSE, complete=False)
    assert (result.text, result.terminator_seen) == ("data: [DONE]", False)
