"""SSEParser follows the WHATWG event-stream rules, whatever the read boundaries."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.client.sse import SSEEvent, SSEParser


def feed_all(*reads: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    return [event for chunk in reads for event in parser.feed(chunk)]


def reference_parse(stream: bytes) -> list[SSEEvent]:
    """The spec's algorithm, transcribed literally over the fully decoded stream."""
    text = stream.decode("utf-8", "replace")
    text = text.removeprefix("\ufeff")
    # Only terminated lines are processed: the part after the last line end is dropped.
    lines = re.split(r"\r\n|\r|\n", text)[:-1]
    events: list[SSEEvent] = []
    data, event_type, last_id, retry = "", "", None, None
    for line in lines:
        if line == "":
            if data:
                events.append(
                    SSEEvent(data.removesuffix("\n"), event_type or "message", last_id, retry)
                )
            data, event_type, retry = "", "", None
            continue
        if line.startswith(":"):
            continue
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id":
            if "\x00" not in value:
                last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return events


# --- line ends -------------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_each_line_end_terminates_lines(eol: bytes) -> None:
    """LF, CRLF and CR all end a line."""
    stream = b"data: a" + eol + b"data: b" + eol + eol + b"data: c" + eol + eol
    assert feed_all(stream) == [SSEEvent("a\nb"), SSEEvent("c")]


def test_mixed_line_ends() -> None:
    """Line ends may change within one stream."""
    assert feed_all(b"data: a\rdata: b\r\n\ndata: c\n\r") == [SSEEvent("a\nb"), SSEEvent("c")]


def test_crlf_split_across_reads_is_one_line_end() -> None:
    """A CR ending one read and an LF starting the next are one line end, not two."""
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    # Were the LF a second line end, this read would dispatch "a" before "b" arrived.
    assert parser.feed(b"\ndata: b\r") == []
    assert parser.feed(b"\n") == []
    assert parser.feed(b"\r") == [SSEEvent("a\nb")]


def test_cr_then_empty_read_then_lf() -> None:
    """An empty read between CR and LF does not break the CRLF pair."""
    parser = SSEParser()
    assert parser.feed(b"data: a\r\n\r") == [SSEEvent("a")]
    assert parser.feed(b"") == []
    assert parser.feed(b"\ndata: b\n\n") == [SSEEvent("b")]


def test_blank_line_made_of_lone_cr_dispatches_at_once() -> None:
    """A CR ends a line immediately; the parser does not wait to see an LF."""
    parser = SSEParser()
    assert parser.feed(b"data: a\r\r") == [SSEEvent("a")]


# --- BOM and UTF-8 ---------------------------------------------------------------------


def test_leading_bom_is_stripped() -> None:
    """A UTF-8 BOM at the start of the stream is not part of the first field name."""
    assert feed_all(b"\xef\xbb\xbfdata: a\n\n") == [SSEEvent("a")]


def test_bom_split_across_reads_is_stripped() -> None:
    """The BOM is recognised even when it arrives one byte at a time."""
    assert feed_all(b"\xef", b"\xbb", b"\xbf", b"data: a\n\n") == [SSEEvent("a")]


def test_only_one_bom_is_stripped() -> None:
    """A second BOM makes the field name ``\\ufeffdata``, an unknown field."""
    assert feed_all(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n") == [SSEEvent("b")]


def test_bom_later_in_stream_is_kept() -> None:
    """Only a BOM at the very start is special."""
    assert feed_all(b"data: \xef\xbb\xbfa\n\n") == [SSEEvent("\ufeffa")]


def test_multibyte_char_split_across_reads() -> None:
    """UTF-8 is decoded per complete line, so a split character survives."""
    encoded = "data: h€llo 🙂\n\n".encode()
    euro = encoded.index("€".encode())
    assert feed_all(encoded[: euro + 1], encoded[euro + 1 : euro + 2], encoded[euro + 2 :]) == [
        SSEEvent("h€llo 🙂")
    ]


def test_invalid_utf8_becomes_replacement_char() -> None:
    """Invalid bytes decode to U+FFFD, as in browsers."""
    assert feed_all(b"data: a\xffb\n\n") == [SSEEvent("a\ufffdb")]


# --- fields ----------------------------------------------------------------------------


def test_comment_lines_are_ignored() -> None:
    """Lines starting with a colon (keep-alive pings) are not fields and dispatch nothing."""
    assert feed_all(b": ping\n\n:\n\ndata: a\n: inside\n\n") == [SSEEvent("a")]


def test_multiline_data_joined_with_lf() -> None:
    """Each data line adds its value and a LF; the final LF is dropped."""
    assert feed_all(b"data: a\ndata:\ndata: b\n\n") == [SSEEvent("a\n\nb")]


def test_only_one_space_after_colon_is_dropped() -> None:
    """``data:  a`` keeps one leading space; ``data:a`` needs none."""
    assert feed_all(b"data:a\n\ndata:  a\n\n") == [SSEEvent("a"), SSEEvent(" a")]


def test_colons_in_value_are_kept() -> None:
    """Only the first colon separates name and value."""
    assert feed_all(b'data: {"a": 1}\n\n') == [SSEEvent('{"a": 1}')]


def test_field_without_colon_has_empty_value() -> None:
    """``data`` alone appends an empty value: the buffer is ``"\\n"``, so it dispatches ``""``."""
    assert feed_all(b"data\n\n") == [SSEEvent("")]
    assert feed_all(b"data\ndata\n\n") == [SSEEvent("\n")]


def test_event_field_sets_type_for_one_event() -> None:
    """``event`` names one event; the next defaults to ``message`` again."""
    assert feed_all(b"event: error\ndata: x\n\ndata: y\n\n") == [
        SSEEvent("x", event="error"),
        SSEEvent("y"),
    ]


def test_empty_event_field_means_message() -> None:
    """An empty type falls back to ``message``."""
    assert feed_all(b"event:\ndata: x\n\n") == [SSEEvent("x")]


def test_id_persists_across_events() -> None:
    """The last event ID stays until another ``id`` field changes it."""
    assert feed_all(b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n") == [
        SSEEvent("a", id="7"),
        SSEEvent("b", id="7"),
        SSEEvent("c", id=""),
    ]


def test_id_with_nul_is_ignored() -> None:
    """An ``id`` value containing NUL does not change the last event ID."""
    parser = SSEParser()
    assert parser.feed(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n") == [
        SSEEvent("a", id="1"),
        SSEEvent("b", id="1"),
    ]
    assert parser.last_event_id == "1"


def test_id_in_block_without_data_still_applies() -> None:
    """The ID buffer is not reset when nothing is dispatched."""
    assert feed_all(b"id: 9\n\ndata: a\n\n") == [SSEEvent("a", id="9")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(b"1500", 1500), (b"0", 0), (b"", None), (b"15.0", None), (b"-1", None), (b"  5", None)],
)
def test_retry_only_ascii_digits(value: bytes, expected: int | None) -> None:
    """``retry`` is used only when its value is one or more ASCII digits."""
    events = feed_all(b"retry:" + value + b"\ndata: a\n\n")
    assert events == [SSEEvent("a", retry=expected)]


def test_retry_non_ascii_digits_ignored() -> None:
    """Unicode digits such as U+0661 are not ASCII digits."""
    assert feed_all("retry: \u0661\ndata: a\n\n".encode()) == [SSEEvent("a")]


def test_retry_applies_to_its_block_and_to_the_parser() -> None:
    """The event carries its block's retry; ``retry_ms`` keeps the latest one."""
    parser = SSEParser()
    assert parser.feed(b"retry: 10\n\ndata: a\n\n") == [SSEEvent("a")]
    assert parser.retry_ms == 10


def test_unknown_fields_are_ignored() -> None:
    """Unknown field names, including near-misses, do nothing."""
    assert feed_all(b"foo: bar\nData: x\ndata : y\ndata: a\n\n") == [SSEEvent("a")]


# --- dispatch --------------------------------------------------------------------------


def test_no_dispatch_without_data() -> None:
    """A block with only ``event`` or ``id`` dispatches nothing and resets the type."""
    assert feed_all(b"event: x\n\ndata: a\n\n") == [SSEEvent("a")]


def test_trailing_incomplete_event_is_discarded() -> None:
    """An event without its blank line is never dispatched, nor a final unterminated line."""
    assert feed_all(b"data: a\n\ndata: b\n") == [SSEEvent("a")]
    assert feed_all(b"data: a\n\ndata: b\n\ndata: c") == [SSEEvent("a"), SSEEvent("b")]


def test_events_are_returned_by_the_read_that_completes_them() -> None:
    """feed returns exactly the events whose blank line was in this read."""
    parser = SSEParser()
    assert parser.feed(b"data: a\n") == []
    assert parser.feed(b"\ndata: b\n\ndata: c\n\nda") == [
        SSEEvent("a"),
        SSEEvent("b"),
        SSEEvent("c"),
    ]
    assert parser.feed(b"ta: d\n") == []
    assert parser.feed(b"\n") == [SSEEvent("d")]


def test_long_line_over_many_reads() -> None:
    """A line spread over many reads is joined once complete."""
    parser = SSEParser()
    for _ in range(1000):
        assert parser.feed(b"x") == []
    assert parser.feed(b"\n\n") == []  # field "xxx..." is unknown
    reads = [b"data: "] + [b"y"] * 1000 + [b"\n\n"]
    assert feed_all(*reads) == [SSEEvent("y" * 1000)]


# --- property: read boundaries never matter --------------------------------------------

_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"),
    max_size=12,
)
_line = st.one_of(
    st.builds(lambda t: ": " + t, _text),
    st.builds(lambda t: "data: " + t, _text),
    st.builds(lambda t: "data:" + t, _text),
    st.just("data"),
    st.just(""),
    st.just(""),
    st.builds(lambda t: "event: " + t, _text),
    st.builds(lambda t: "id: " + t, _text | st.just("a\x00b")),
    st.builds(lambda n: f"retry: {n}", st.integers(0, 10**6) | st.just("1x")),
    st.builds(lambda t: "foo: " + t, _text),
)
_eol = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def event_streams(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(_line, _eol), max_size=30))
    body = "".join(line + eol for line, eol in lines)
    if draw(st.booleans()):
        body += draw(_text)  # an unterminated tail
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + body).encode()


# Arbitrary bytes, weighted toward the parts that matter (line ends, BOM, split UTF-8).
_raw_streams = st.lists(
    st.sampled_from(
        [
            *(b"\r", b"\n", b"\r\n", b":", b" ", b"data", b"event", b"id", b"retry", b"7"),
            *(b"\xef\xbb\xbf", "€".encode(), b"\xe2", b"\xff", b"\x00", b"x"),
        ]
    ),
    max_size=60,
).map(b"".join)


def split_at(stream: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(stream)]
    return [stream[a:b] for a, b in pairwise(bounds)]


@given(stream=event_streams(), data=st.data())
def test_any_split_gives_the_same_events(stream: bytes, data: st.DataObject) -> None:
    """Feeding a generated stream in arbitrary reads equals feeding it whole, and the spec."""
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=len(stream) + 1))
    whole = feed_all(stream)
    assert feed_all(*split_at(stream, cuts)) == whole
    assert whole == reference_parse(stream)


@given(stream=_raw_streams, data=st.data())
def test_any_split_of_arbitrary_bytes_gives_the_same_events(
    stream: bytes, data: st.DataObject
) -> None:
    """Even for malformed bytes, read boundaries never change the events."""
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=len(stream) + 1))
    whole = feed_all(stream)
    assert feed_all(*split_at(stream, cuts)) == whole
    assert whole == reference_parse(stream)


@given(stream=event_streams())
def test_byte_at_a_time(stream: bytes) -> None:
    """The worst split, one byte per read, is no different."""
    assert feed_all(*(stream[i : i + 1] for i in range(len(stream)))) == feed_all(stream)
