"""Did something between the server and the client hold the stream back? Pure functions.

The detector looks only at when the content events arrived, relative to when the
request was sent (integer nanoseconds, :mod:`loadtests.client.records`). With
``a_1 <= ... <= a_n`` the arrival times of the ``n`` content events (the arrival of the
socket read that completed each one), ``k`` the number of distinct arrival times
(reads that carried content events) and ``s`` the send time:

- ``events_per_arrival = n / k`` (:func:`loadtests.metrics.merged_arrivals`)
- ``max_events_per_arrival`` = the most content events one read carried
- ``first_event_share = (a_1 - s) / (a_n - s)``: where in the request's life the first
  content event showed up; 0 at the start, 1 at the very end

Verdict:

- ``inconclusive`` when ``n < 2``: one event cannot merge with anything.
- ``buffered`` when ``events_per_arrival >= MERGE_THRESHOLD`` (2.0): on average reads
  carry two or more events, so events the server wrote apart were delivered together.
- ``buffered`` when ``first_event_share >= LATE_THRESHOLD`` (0.8) and
  ``max_events_per_arrival >= MERGE_THRESHOLD``: held until near the end, then released
  in bursts (a large held response can reach the client over several reads).
- ``streams`` otherwise.

Precondition: the source paces its events (the inter-token gap well above the client's
read time; the buffering scenario uses 20 ms) and its TTFT is short next to the stream.
A source that bursts, or a saturated client, merges reads with no proxy in between: the
scenario therefore measures the direct path as a control and distrusts the run unless
the control reads ``streams``.

Compressed bodies: a ``Content-Encoding: gzip`` response cannot be parsed per read, so
:func:`decompressed_reads` inflates read by read, keeping each read's arrival time.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..metrics import merged_arrivals

__all__ = [
    "GZIP_MAGIC",
    "LATE_THRESHOLD",
    "MERGE_THRESHOLD",
    "BufferingEvidence",
    "BufferingVerdict",
    "decompressed_reads",
    "detect_buffering",
    "is_gzip",
]

BufferingVerdict = Literal["streams", "buffered", "inconclusive"]

MERGE_THRESHOLD = 2.0
LATE_THRESHOLD = 0.8
#: The first two bytes of every gzip member (RFC 1952); SSE text never starts so.
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class BufferingEvidence:
    """The numbers behind one verdict (see the module docstring for each formula)."""

    n_events: int
    n_arrivals: int
    events_per_arrival: float | None
    max_events_per_arrival: int
    max_gap_ns: int | None
    first_event_share: float | None
    verdict: BufferingVerdict


def detect_buffering(sent_ns: int, event_arrivals_ns: Sequence[int]) -> BufferingEvidence:
    """Apply the module's rule to content event arrival times (in arrival order)."""
    merged = merged_arrivals(event_arrivals_ns)
    share: float | None = None
    if event_arrivals_ns:
        span = event_arrivals_ns[-1] - sent_ns
        share = (event_arrivals_ns[0] - sent_ns) / span if span > 0 else 1.0
    per_arrival = merged.events_per_arrival
    verdict: BufferingVerdict
    if merged.n_events < 2 or per_arrival is None or share is None:
        verdict = "inconclusive"
    elif per_arrival >= MERGE_THRESHOLD or (
        share >= LATE_THRESHOLD and merged.max_events_per_arrival >= MERGE_THRESHOLD
    ):
        verdict = "buffered"
    else:
        verdict = "streams"
    return BufferingEvidence(
        n_events=merged.n_events,
        n_arrivals=merged.n_arrivals,
        events_per_arrival=per_arrival,
        max_events_per_arrival=merged.max_events_per_arrival,
        max_gap_ns=merged.max_gap_ns,
        first_event_share=share,
        verdict=verdict,
    )


def is_gzip(reads: Sequence[tuple[int, bytes]]) -> bool:
    """True when the body starts with the gzip magic bytes.

    The record keeps no response headers, so the body itself says whether the proxy
    compressed it.
    """
    head = b"".join(chunk for _, chunk in reads[:2])[:2]
    return head == GZIP_MAGIC


def decompressed_reads(reads: Sequence[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Inflate a gzip body read by read; each piece keeps its read's arrival time.

    A read holding only part of a deflate block may inflate to ``b""``: the event it
    starts then counts at the read that completes it, as with plain text. Raises
    ``zlib.error`` on a corrupt stream.
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16+: expect a gzip wrapper
    return [(arrival_ns, inflater.decompress(chunk)) for arrival_ns, chunk in reads]
