"""One generation in flight: its plan, its clock, its ledger record.

A stream is driven entirely by :class:`TimerWheel` callbacks: at each
chunk's deadline it "generates" the chunk and, if the client is still there,
writes it and stamps the write time. The plain chunks are written by the
:class:`ChunkWriter` it inherits (C where built, mock_llm/engine/chunk_writer.py);
everything else by :meth:`TokenStream._due_slow` here. The stamps are folded into the ledger
record and the server's counters by :meth:`TokenStream.fold`: when the stream
ends, and whenever the server is asked for them (``/mock/stats``,
``/metrics``, ``/mock/requests``), so readers always see every write so far.
Accounting per token on the write path would cost more than the write's own Python.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..http.wire import DONE_EVENT, ApiError, ChunkEncoder, Usage
from ..ledger import LedgerRecord
from ..overrides import FaultSpec
from .chunk_writer import ChunkWriter
from .latency import deadlines_ns, with_stall

if TYPE_CHECKING:
    from ..http.connection import HttpConnection
    from ..stats import MockStats
    from .scheduler import TimerWheel


@dataclass(frozen=True)
class StreamPlan:
    """Everything decided at arrival; times relative to admission."""

    chunks: tuple[bytes, ...]  # JSON string literals, one per SSE chunk
    chunk_tokens: tuple[int, ...]  # tokens in each chunk
    text: str
    first_ns: int  # admission -> first content chunk
    gaps_ns: tuple[int, ...]  # between chunks
    finish_reason: str  # stop | length
    prompt_tokens: int
    stream: bool
    fault: FaultSpec | None
    abort_on_disconnect: bool
    headers: list[tuple[str, str]]


class TokenStream(ChunkWriter):
    """Generates a plan's chunks on schedule and records the truth.

    The stream is its own timer-wheel callback: ``stream(now_ns)`` writes
    what is due (ChunkWriter.__call__), or calls :meth:`_due_slow`.
    """

    # Slots: fixed offsets instead of a per-instance dict, on a thousand streams.
    __slots__ = (
        "_call_at",
        "_conn",
        "_deadlines",
        "_encoder",
        "_fast_end_when_streaming",
        "_folded",
        "_gone",
        "_keep_times",
        "_on_finished",
        "_scheduler",
        "_stamps",
        "_stats",
        "admitted",
        "finished",
        "plan",
        "record",
    )

    def __init__(
        self,
        *,
        plan: StreamPlan,
        record: LedgerRecord,
        encoder: ChunkEncoder,
        conn: HttpConnection,
        scheduler: TimerWheel,
        stats: MockStats,
        on_finished: Callable[[TokenStream], None],
        keep_token_times: bool,
    ) -> None:
        self.plan = plan
        self.record = record
        self._encoder = encoder
        self._conn = conn
        self._scheduler = scheduler
        self._stats = stats
        self._on_finished = on_finished
        self._keep_times = keep_token_times
        # An int64 array, not a list: not a container the cyclic GC scans.
        self._deadlines: array[int] = array("q")
        self._next = 0
        # Write time of each chunk (written chunks are always a prefix: the
        # first self._written), and how many of them fold() has accounted for.
        self._stamps: array[int] = array("q")
        self._written = 0
        self._folded = 0
        fault = plan.fault
        last = len(plan.chunks) - 1
        special = fault.at - 1 if fault is not None and fault.kind != "stall" else last
        # Chunks before this index take the fast path; -1 sends everything to the
        # slow path (not started, client gone, finished). The last chunk carries
        # the tail, and a fault's chunk is special, so both take the slow path.
        self._fast_end_when_streaming = min(last, special)
        self._fast_end = -1
        self._call_at = scheduler.call_at
        self.finished = False
        self._gone = False
        self.admitted = False

    # lifecycle

    def begin(self, now_ns: int, slowdown: float) -> None:
        """Admitted: send headers (and the role chunk) now, schedule the first chunk."""
        self.admitted = True
        plan = self.plan
        gaps = plan.gaps_ns if slowdown == 1.0 else [round(g * slowdown) for g in plan.gaps_ns]
        deadlines = deadlines_ns(now_ns, plan.first_ns, gaps)
        fault = plan.fault
        if fault is not None and fault.kind == "stall":
            deadlines = with_stall(deadlines, fault.at - 1, round(fault.seconds * 1e9))
        self._deadlines = array("q", deadlines)
        self.record.admitted_ns = now_ns
        self.record.first_token_due_ns = deadlines[0] if deadlines else None
        if self._gone:
            # Queued, and the client left while waiting: nothing is generated.
            self._finish("client_disconnected", now_ns)
            return
        if plan.stream:
            self._conn.start_stream(plan.headers, self._encoder.role())
            # Not now_ns: a request whose planning waited (MockServer._defer) is
            # admitted as of its dispatch, and its headers leave only now.
            self.record.headers_ns = time.monotonic_ns()
            assert self._conn.transport is not None
            self._stamps = array("q", bytes(8 * len(plan.chunks)))
            # Released in _finish: the writer's references to the transport
            # and the wheel would otherwise outlive the stream in a cycle.
            self._bind_writer(
                self._conn.transport.write,
                self._call_at,
                plan.chunks,
                self._encoder.prefix,
                self._encoder.suffix,
                self._deadlines,
                self._stamps,
            )
            self._fast_end = self._fast_end_when_streaming
        if plan.stream or not deadlines:
            self._call_at(deadlines[0] if deadlines else now_ns, self)
        else:
            # Non-streaming: the whole answer is due when its last token is.
            self._call_at(deadlines[-1], self._due_whole)

    def on_disconnect(self, now_ns: int) -> None:
        if self.finished or self._gone:
            return
        self._gone = True
        self._fast_end = -1
        rec = self.record
        rec.disconnected = True
        rec.disconnect_ns = now_ns
        self._stats.disconnects += 1
        if (self.admitted and self.plan.abort_on_disconnect) or not self.admitted:
            self._finish("client_disconnected", now_ns)

    # scheduler callbacks

    def _due_slow(self, now_ns: int) -> None:
        if self.finished:
            return
        i = self._next
        plan = self.plan
        fault = plan.fault
        if (
            fault is not None
            and i == fault.at - 1
            and not self._gone
            and self._inject(fault, now_ns)
        ):
            return
        last = i == len(plan.chunks) - 1
        if self._gone:
            self._generated_unwritten(plan.chunk_tokens[i])
        else:
            if fault is not None and fault.kind == "malformed" and i == fault.at - 1:
                payload = self._encoder.malformed()
            else:
                payload = self._encoder.content(plan.chunks[i])
            if last:
                self._conn.end_stream(payload + self._tail())
            else:
                self._conn.write_event(payload)
            self._stamps[i] = now_ns
            self._written = i + 1
        if last:
            self._finish("client_disconnected" if self._gone else self._completed_reason(), now_ns)
            return
        self._next = i + 1
        self._call_at(self._deadlines[i + 1], self)

    def _due_whole(self, now_ns: int) -> None:
        if self.finished:
            return
        plan = self.plan
        total = sum(plan.chunk_tokens)
        if self._gone:
            self._generated_unwritten(total)
            self._finish("client_disconnected", now_ns)
            return
        fault = plan.fault
        if fault is not None and fault.kind == "drop":
            # Generated in full, then the connection is cut before the answer.
            self.record.tokens_generated += total
            self._stats.tokens_generated += total
            self._conn.drop(reset=fault.mode == "reset")
            self._finish("fault", now_ns)
            return
        body = self._encoder.full_response(
            plan.text, plan.finish_reason, Usage(plan.prompt_tokens, total)
        )
        self._conn.respond(200, body, plan.headers)
        self._written_whole(total, now_ns)
        self._finish(self._completed_reason(), now_ns)

    # helpers

    def _completed_reason(self) -> str:
        return "length" if self.plan.finish_reason == "length" else "completed"

    def _tail(self) -> bytes:
        """finish chunk, usage chunk, [DONE]: sent with the last content chunk."""
        enc = self._encoder
        tail = enc.finish(self.plan.finish_reason)
        if enc.include_usage:
            tail += enc.usage(Usage(self.plan.prompt_tokens, sum(self.plan.chunk_tokens)))
        fault = self.plan.fault
        if fault is None or fault.kind != "no_done":
            tail += DONE_EVENT
        return tail

    def fold(self) -> None:
        """Account the writes stamped since the last fold: token counts, lateness, token times.

        Lateness is per chunk (a chunk's tokens share one write and one deadline).
        """
        done = self._written
        start = self._folded
        if start == done:
            return
        self._folded = done
        stamps = self._stamps[start:done]
        chunk_tokens = self.plan.chunk_tokens[start:done]
        self._count_written(sum(chunk_tokens))
        rec = self.record
        latest = self._stats.observe_written(stamps, self._deadlines[start:done])
        rec.max_lateness_ns = max(rec.max_lateness_ns, latest)
        if not self._keep_times:
            return
        if chunk_tokens.count(1) == len(chunk_tokens):
            rec.token_write_ns.extend(stamps)
        else:
            rec.token_write_ns.extend(
                array("q", [t for t, k in zip(stamps, chunk_tokens, strict=True) for _ in range(k)])
            )

    def _generated_unwritten(self, n: int) -> None:
        """Tokens generated for a client that is gone (``continue``): billed, never written."""
        rec = self.record
        rec.tokens_generated += n
        rec.tokens_after_disconnect += n
        self._stats.tokens_generated += n
        self._stats.tokens_after_disconnect += n

    def _count_written(self, n: int) -> None:
        """``n`` tokens generated and written, on the record and the server's counters."""
        rec = self.record
        rec.tokens_generated += n
        rec.tokens_written += n
        self._stats.tokens_generated += n
        self._stats.tokens_written += n

    def _written_whole(self, n: int, now_ns: int) -> None:
        """A non-streaming answer: all tokens in one write, late against the last deadline."""
        self._count_written(n)
        rec = self.record
        late = now_ns - self._deadlines[-1] if self._deadlines else 0
        self._stats.observe_lateness(late)
        rec.max_lateness_ns = max(rec.max_lateness_ns, late)
        if self._keep_times:
            rec.token_write_ns.extend(array("q", (now_ns,)) * n)

    def _inject(self, fault: FaultSpec, now_ns: int) -> bool:
        """Apply a mid-stream fault due now; True when the stream ended."""
        if fault.kind == "error_event":
            error = ApiError(
                500,
                f"mock_llm: injected error before chunk {fault.at}",
                type="server_error",
                code="injected_fault",
            )
            self._conn.end_stream(error.event())
            self._finish("fault", now_ns)
            return True
        if fault.kind == "drop":
            self._finish("fault", now_ns)
            self._conn.drop(reset=fault.mode == "reset")
            return True
        return False

    def _finish(self, reason: str, now_ns: int) -> None:
        if self.finished:
            return
        self.finished = True
        self._unbind_writer()
        self.fold()
        rec = self.record
        rec.finish_reason = reason
        if reason == "fault" and self.plan.fault is not None:
            rec.fault = self.plan.fault.kind
        rec.completed_ns = now_ns
        self._on_finished(self)
