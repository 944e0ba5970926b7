"""A stream's plain content chunks, written when the timer wheel calls the stream.

:class:`TokenStream` inherits the write path from :data:`ChunkWriter`: the C
type in ``_chunk_writer.c`` when it was built (``pip install`` compiles it
where a C compiler exists), else :class:`PyChunkWriter`, the same in Python.
Both write the same bytes and keep the same counters; tests run both
(tests/unit/mock_llm/engine/test_chunk_writer.py). The stream is its own timer-wheel
callback (``__call__``), so rescheduling allocates no bound method.

The plain case only: the next chunk and any others already due, framed as
HTTP chunks around SSE events, in one ``transport.write``, each stamped with
the write time. Anything else (the last chunk, a fault's chunk, a stream whose
client is gone or that has not started) goes to the subclass's ``_due_slow``.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..http.wire import http_chunk_template

Write = Callable[[bytes], object]
CallAt = Callable[[int, Callable[[int], None]], None]


class PyChunkWriter:
    """The write path in Python: the fallback, and the reference the C type must match."""

    __slots__ = (
        "_fast_end",
        "_next",
        "_w_base_len",
        "_w_call_at",
        "_w_chunks",
        "_w_deadlines",
        "_w_frame",
        "_w_last",
        "_w_stamps",
        "_w_write",
        "_written",
    )
    _next: int
    _written: int
    _fast_end: int

    def __new__(cls, *args: object, **kwargs: object) -> PyChunkWriter:
        self = super().__new__(cls)
        self._next = 0
        self._written = 0
        self._fast_end = -1
        self._w_write = None
        return self

    def _bind_writer(  # noqa: PLR0917 - the C method it mirrors takes positionals
        self,
        write: Write,
        call_at: CallAt,
        chunks: tuple[bytes, ...],
        prefix: bytes,
        suffix: bytes,
        deadlines: array[int],
        stamps: array[int],
    ) -> None:
        if len(deadlines) < len(chunks) or len(stamps) < len(chunks):
            raise ValueError("deadlines and stamps need one item per chunk")
        self._w_write: Write | None = write
        self._w_call_at = call_at
        self._w_chunks = chunks
        self._w_frame, self._w_base_len = http_chunk_template(prefix, suffix)
        self._w_deadlines = deadlines
        self._w_stamps = stamps
        self._w_last = len(chunks) - 1

    def _unbind_writer(self) -> None:
        self._fast_end = -1
        self._w_write = None
        for name in ("_w_call_at", "_w_chunks", "_w_deadlines", "_w_stamps", "_w_last"):
            if hasattr(self, name):
                delattr(self, name)

    def _due_slow(self, now_ns: int) -> None:
        raise NotImplementedError

    def __call__(self, now_ns: int) -> None:
        i = self._next
        if self._w_write is None:
            self._due_slow(now_ns)
            return
        end = min(self._fast_end, self._w_last)  # never past the last chunk
        if i >= end or i < 0:
            self._due_slow(now_ns)
            return
        deadlines = self._w_deadlines
        due_end = i + 1  # i < end <= the last chunk: there is a next one
        while due_end < end and deadlines[due_end] <= now_ns:
            due_end += 1
        frame, base_len = self._w_frame, self._w_base_len
        if due_end == i + 1:
            text = self._w_chunks[i]
            data = frame % (base_len + len(text), text)
        else:
            data = b"".join(
                [frame % (base_len + len(text), text) for text in self._w_chunks[i:due_end]]
            )
        stamps = self._w_stamps
        self._w_write(data)
        if self._w_write is None or self._w_stamps is not stamps:
            # The write ended the stream: it has been accounted (fold) and must
            # not be stamped, advanced or rescheduled any more.
            return
        if due_end == i + 1:
            stamps[i] = now_ns
        else:
            stamps[i:due_end] = array("q", (now_ns,)) * (due_end - i)
        self._written = due_end
        self._next = due_end
        self._w_call_at(deadlines[due_end], self)


def _compiled() -> type[PyChunkWriter] | None:
    """The C type, unless it was not built or ``MOCK_LLM_PURE_PYTHON`` asks for Python."""
    if os.environ.get("MOCK_LLM_PURE_PYTHON"):
        return None
    try:
        from ._chunk_writer import ChunkWriter as Compiled  # noqa: PLC0415
    except ImportError:
        return None
    return Compiled  # type: ignore[return-value]


if TYPE_CHECKING:
    ChunkWriter = PyChunkWriter
    WRITE_PATH = "python"
else:
    ChunkWriter = _compiled() or PyChunkWriter
    WRITE_PATH = "python" if ChunkWriter is PyChunkWriter else "c"

__all__ = ["WRITE_PATH", "ChunkWriter", "PyChunkWriter"]
