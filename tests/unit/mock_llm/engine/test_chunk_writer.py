"""The write path: C and Python write the same bytes, stamp the same times, reschedule alike."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable

import pytest

from mock_llm.engine import chunk_writer
from mock_llm.engine.chunk_writer import PyChunkWriter
from mock_llm.engine.vocabulary import HARD, Vocabulary
from mock_llm.http.wire import ChunkEncoder, http_chunk

try:
    from mock_llm.engine._chunk_writer import ChunkWriter as CChunkWriter
except ImportError:  # not built: only the Python path is tested, and CI refuses that below
    CChunkWriter = None

IMPLEMENTATIONS = [
    pytest.param(PyChunkWriter, id="python"),
    pytest.param(
        CChunkWriter,
        id="c",
        marks=pytest.mark.skipif(CChunkWriter is None, reason="C write path not built"),
    ),
]

PREFIX = b'data: {"id":"x","choices":[{"delta":{"content":'
SUFFIX = b'},"finish_reason":null}]}\n\n'


def frame(text: bytes) -> bytes:
    return http_chunk(PREFIX + text + SUFFIX)


def make(base: type[PyChunkWriter]) -> type[PyChunkWriter]:
    class Stream(base):  # type: ignore[valid-type,misc]
        __slots__ = ("slow_calls",)

        def __init__(self) -> None:
            self.slow_calls: list[int] = []

        def _due_slow(self, now_ns: int) -> None:
            self.slow_calls.append(now_ns)

    return Stream


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.scheduled: list[tuple[int, object]] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def call_at(self, deadline_ns: int, callback: Callable[[int], None]) -> None:
        self.scheduled.append((deadline_ns, callback))


CHUNKS = (b'"a"', b'" b"', b'"\\n%x"', b'"' + "雪".encode() * 100 + b'"', b'"end"')
DEADLINES = array("q", [100, 200, 300, 400, 500])


def bound(
    base: type[PyChunkWriter], rec: Recorder, fast_end: int = 4
) -> tuple[PyChunkWriter, array[int]]:
    stream = make(base)()
    stamps = array("q", bytes(8 * len(CHUNKS)))
    stream._bind_writer(rec.write, rec.call_at, CHUNKS, PREFIX, SUFFIX, DEADLINES, stamps)
    stream._fast_end = fast_end
    return stream, stamps


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_one_chunk_due_is_one_write_stamped_and_rescheduled(base: type[PyChunkWriter]) -> None:
    """Called at 105 for chunk 0 (due 100): its frame, stamp 105, next call at 200."""
    rec = Recorder()
    stream, stamps = bound(base, rec)
    stream(105)
    assert rec.writes == [frame(b'"a"')]
    assert list(stamps) == [105, 0, 0, 0, 0]
    assert (stream._next, stream._written) == (1, 1)
    assert rec.scheduled == [(200, stream)]


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_chunks_already_due_are_joined_into_one_write(base: type[PyChunkWriter]) -> None:
    """At 350 chunks 0, 1 and 2 are due: one write of three frames, three stamps, next at 400."""
    rec = Recorder()
    stream, stamps = bound(base, rec)
    stream(350)
    assert rec.writes == [frame(b'"a"') + frame(b'" b"') + frame(b'"\\n%x"')]
    assert list(stamps) == [350, 350, 350, 0, 0]
    assert (stream._next, stream._written) == (3, 3)
    assert rec.scheduled == [(400, stream)]


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_joining_stops_at_the_fast_end(base: type[PyChunkWriter]) -> None:
    """Everything is due at 999, but chunk 4 (the last) is the slow path's: 0-3 written."""
    rec = Recorder()
    stream, stamps = bound(base, rec)
    stream(999)
    assert len(rec.writes) == 1
    assert rec.writes[0].count(b"\r\ndata: ") == 4
    assert list(stamps) == [999, 999, 999, 999, 0]
    assert rec.scheduled == [(500, stream)]
    stream(1000)
    assert stream.slow_calls == [1000]  # type: ignore[attr-defined]
    assert len(rec.writes) == 1


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_a_long_chunk_gets_a_three_digit_hex_length(base: type[PyChunkWriter]) -> None:
    """Chunk 3 is 302 bytes of literal: the chunk-size line must be the event's length in hex."""
    rec = Recorder()
    stream, _ = bound(base, rec)
    stream._next = 3
    stream(400)
    event = PREFIX + CHUNKS[3] + SUFFIX
    assert rec.writes == [b"%x\r\n" % len(event) + event + b"\r\n"]
    assert len(event) > 0xFF


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_anything_unplain_goes_to_the_slow_path(base: type[PyChunkWriter]) -> None:
    """Not bound, fast end -1 (stopped), or the next index at the fast end: _due_slow(now)."""
    rec = Recorder()
    unbound = make(base)()
    unbound(7)
    stopped, _ = bound(base, rec, fast_end=-1)
    stopped(8)
    at_end, _ = bound(base, rec, fast_end=2)
    at_end._next = 2
    at_end(9)
    assert [s.slow_calls for s in (unbound, stopped, at_end)] == [[7], [8], [9]]  # type: ignore[attr-defined]
    assert rec.writes == []
    assert rec.scheduled == []


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_a_failed_write_stamps_nothing(base: type[PyChunkWriter]) -> None:
    """The transport raising propagates (the wheel logs it); no stamp, no advance, no reschedule."""

    def broken(data: bytes) -> None:
        raise ConnectionResetError("gone")

    rec = Recorder()
    stream = make(base)()
    stamps = array("q", bytes(8 * len(CHUNKS)))
    stream._bind_writer(broken, rec.call_at, CHUNKS, PREFIX, SUFFIX, DEADLINES, stamps)
    stream._fast_end = 4
    with pytest.raises(ConnectionResetError):
        stream(105)
    assert list(stamps) == [0] * 5
    assert (stream._next, stream._written) == (0, 0)
    assert rec.scheduled == []


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_a_write_that_ends_the_stream_leaves_it_unbound(base: type[PyChunkWriter]) -> None:
    """Unbound inside write (it finished): no stamp, no advance, no reschedule, no crash."""
    rec = Recorder()
    stream = make(base)()
    stamps = array("q", bytes(8 * len(CHUNKS)))

    def write_then_finish(data: bytes) -> None:
        rec.writes.append(data)
        stream._unbind_writer()

    stream._bind_writer(write_then_finish, rec.call_at, CHUNKS, PREFIX, SUFFIX, DEADLINES, stamps)
    stream._fast_end = 4
    stream(105)
    assert len(rec.writes) == 1
    assert list(stamps) == [0] * 5
    assert (stream._next, stream._written) == (0, 0)  # nothing for a later fold to count
    assert rec.scheduled == []
    stamps.append(1)  # released: the array may be resized again
    stream(200)
    assert stream.slow_calls == [200]  # type: ignore[attr-defined]


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_bind_checks_its_arguments(base: type[PyChunkWriter]) -> None:
    """Stamps shorter than the chunks is a ValueError; the C type also checks types."""
    rec = Recorder()
    stream = make(base)()
    short = array("q", [0])
    with pytest.raises(ValueError, match="one item per chunk"):
        stream._bind_writer(rec.write, rec.call_at, CHUNKS, PREFIX, SUFFIX, DEADLINES, short)
    if base is not PyChunkWriter:
        with pytest.raises(TypeError):
            stream._bind_writer(
                rec.write, rec.call_at, CHUNKS, PREFIX, SUFFIX, DEADLINES, array("d", [0.0] * 5)
            )
        with pytest.raises(TypeError):
            stream._bind_writer(
                rec.write, rec.call_at, list(CHUNKS), PREFIX, SUFFIX, DEADLINES, short
            )


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
@pytest.mark.parametrize("endpoint", ["chat", "completion"])
@pytest.mark.parametrize("text", ["plain", "100%", *HARD])
def test_the_writer_writes_the_encoders_content_event(
    base: type[PyChunkWriter], endpoint: str, text: str
) -> None:
    """Each frame is http_chunk(ChunkEncoder.content(literal)), '%' in the id and model included."""
    enc = ChunkEncoder(
        endpoint=endpoint,  # type: ignore[arg-type]
        completion_id="chatcmpl-%s%%",
        created=1,
        model="%d",
        include_usage=True,
    )
    literal = Vocabulary().encoded(text)
    rec = Recorder()
    stream = make(base)()
    stamps = array("q", bytes(16))
    stream._bind_writer(
        rec.write, rec.call_at, (literal, b'"!"'), enc.prefix, enc.suffix, DEADLINES, stamps
    )
    stream._fast_end = 1
    stream(100)
    assert rec.writes == [http_chunk(enc.content(literal))]


def test_the_compiled_write_path_is_used_when_built() -> None:
    """Built, the mock uses it; under CI it must have been built (the benchmarks are for it)."""
    if CChunkWriter is None and os.environ.get("CI") != "true":
        pytest.skip("C write path not built (a machine without a C compiler)")
    assert CChunkWriter is not None
    if not os.environ.get("MOCK_LLM_PURE_PYTHON"):
        assert chunk_writer.WRITE_PATH == "c"
        assert chunk_writer.ChunkWriter is CChunkWriter


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_a_fast_end_past_the_chunks_is_clamped_to_the_last(base: type[PyChunkWriter]) -> None:
    """_fast_end 99 on 5 chunks: chunks 0-3 written, the last one still goes to the slow path."""
    rec = Recorder()
    stream, _ = bound(base, rec, fast_end=99)
    stream(999)
    assert rec.writes[0].count(b"\r\ndata: ") == 4
    assert rec.scheduled == [(500, stream)]
    stream(1000)
    assert stream.slow_calls == [1000]  # type: ignore[attr-defined]


@pytest.mark.parametrize("base", IMPLEMENTATIONS)
def test_a_write_that_rebinds_the_writer_touches_neither_binding(base: type[PyChunkWriter]) -> None:
    """Rebound inside write to shorter buffers: the old call stamps nothing into the new ones."""
    rec = Recorder()
    stream = make(base)()
    stamps = array("q", bytes(8 * len(CHUNKS)))
    short = array("q", [0, 0])

    def write_then_rebind(data: bytes) -> None:
        rec.writes.append(data)
        stream._bind_writer(rec.write, rec.call_at, CHUNKS[:2], PREFIX, SUFFIX, DEADLINES, short)

    stream._bind_writer(write_then_rebind, rec.call_at, CHUNKS, PREFIX, SUFFIX, DEADLINES, stamps)
    stream._fast_end = 4
    stream(999)  # chunks 0-3 due
    assert list(stamps) == [0] * 5
    assert list(short) == [0, 0]
    assert rec.scheduled == []
