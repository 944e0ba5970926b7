"""The raw timing record of one streamed request.

Every timestamp is an integer from :func:`time.perf_counter_ns`. On Linux that is
``CLOCK_MONOTONIC``, the clock behind :func:`time.monotonic_ns`, which the mock server
uses for its ledger, so client and server times on one machine can be subtracted.
Timestamps are taken the moment bytes arrive, before any parsing: the record holds the
raw reads and everything else (events, tokens, metrics) is derived from it afterwards by
pure functions (:mod:`loadtests.client.tokens`, :mod:`loadtests.metrics`).

Unset means ``None``, never ``0``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Clock", "JSONScalar", "RequestRecord", "default_clock"]

#: Returns integer nanoseconds on a monotonic clock; injectable for tests.
Clock = Callable[[], int]
JSONScalar = str | int | float | bool | None

default_clock: Clock = time.perf_counter_ns


@dataclass(slots=True, kw_only=True)
class RequestRecord:
    """What the client saw for one request, in arrival order.

    ``intended_ns`` is when an open-loop schedule meant to send the request (``None`` in
    closed loop); ``sent_ns`` is when it was actually sent. ``reads`` holds
    ``(arrival_ns, raw bytes)`` for each socket read of the body, so the first byte time
    is ``reads[0][0]``. ``closed_ns`` is when the client finished or closed the stream.
    ``response_headers`` holds the response's headers, names lower-cased (``auto``
    reads the Content-Type); ``complete`` is true when the HTTP message ended normally
    (not cut off, not left early), which ends a body that has no end marker.
    """

    request_id: str
    scenario: str
    target: str
    intended_ns: int | None = None
    sent_ns: int
    headers_ns: int | None = None
    status: int | None = None
    reads: list[tuple[int, bytes]] = field(default_factory=list)
    closed_ns: int | None = None
    error: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    complete: bool = False

    def add_read(self, arrival_ns: int, data: bytes) -> None:
        """Append one read; ``arrival_ns`` must be stamped before ``data`` is parsed."""
        self.reads.append((arrival_ns, data))

    @property
    def content_type(self) -> str | None:
        """The response's Content-Type header, if it had one."""
        return self.response_headers.get("content-type")

    @property
    def first_byte_ns(self) -> int | None:
        """Arrival time of the first body read."""
        return self.reads[0][0] if self.reads else None

    @property
    def last_read_ns(self) -> int | None:
        """Arrival time of the last body read."""
        return self.reads[-1][0] if self.reads else None

    @property
    def bytes_received(self) -> int:
        """Body bytes received (after any transfer decoding done by the HTTP client)."""
        return sum(len(chunk) for _, chunk in self.reads)

    @property
    def schedule_lag_ns(self) -> int | None:
        """``sent_ns - intended_ns``: how late an open-loop sender was (coordinated omission)."""
        return None if self.intended_ns is None else self.sent_ns - self.intended_ns

    def to_dict(self, *, read_timings: bool = False) -> dict[str, JSONScalar | list[int]]:
        """A JSON-safe summary: raw bytes dropped, derived fields added.

        With ``read_timings`` the arrival time and size of every read are kept, which is
        enough to re-check proxy buffering later but not to re-parse the stream.
        """
        out: dict[str, JSONScalar | list[int]] = {
            "request_id": self.request_id,
            "scenario": self.scenario,
            "target": self.target,
            "intended_ns": self.intended_ns,
            "sent_ns": self.sent_ns,
            "headers_ns": self.headers_ns,
            "status": self.status,
            "closed_ns": self.closed_ns,
            "error": self.error,
            "first_byte_ns": self.first_byte_ns,
            "last_read_ns": self.last_read_ns,
            "n_reads": len(self.reads),
            "bytes_received": self.bytes_received,
            "schedule_lag_ns": self.schedule_lag_ns,
        }
        if read_timings:
            out["read_arrivals_ns"] = [t for t, _ in self.reads]
            out["read_sizes"] = [len(chunk) for _, chunk in self.reads]
        return out

    def to_json(self, *, read_timings: bool = False) -> str:
        """:meth:`to_dict` as one compact JSON line (for JSONL result files)."""
        return json.dumps(self.to_dict(read_timings=read_timings), separators=(",", ":"))
