"""What the Locust streaming user reports for one stream: pure, Locust-free.

Locust's own response time for ``stream=True`` is the time to the response headers
(docs/behaviours.md#locust), so the user fires one custom request event per :class:`Sample`
(``request_type`` :data:`REQUEST_TYPE`). Each value comes from the measurement core
(the metric functions of :mod:`loadtests.metrics` over the stream's timed reads), so Locust
and the pytest suites agree on every definition (``docs/metrics.md``):

========================  ====================================================  =========
name                      value (Locust's "response time" column)               length
========================  ====================================================  =========
``TTFB``                  first body read - sent, ms                            0
``first event``           first SSE event of any kind - sent, ms                0
``TTFT``                  first content event - sent, ms                        0
``ITL``                   one sample per gap between content events, ms         0
                          (:attr:`StreamOutcome.itl_ms`)
``E2E``                   last event - sent (close - sent without events), ms   bytes
``tokens``                output tokens of the stream (a count, not ms)         tokens
``events per read``       content events / reads carrying them                  0
========================  ====================================================  =========

ITL is pooled (one sample per gap) because run-level ITL percentiles are taken over all
gaps (``docs/metrics.md``). The gaps come as a plain list, apart from the other samples:
with one per token they are the hot path, and the user logs them straight into Locust's
``ITL`` row. ``tokens`` carries the count as its length too, so Locust's
content-size totals of that row are output tokens and tokens/s falls out of its history.

Proxy buffering shows in three rows at once: ``TTFB`` and ``TTFT`` move towards ``E2E``
and ``events per read`` rises well above 1. When :func:`detect_buffering` calls a stream
``buffered`` its ``events per read`` sample is a failure (:data:`BUFFERED`), so Locust's
failure table names it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..client.records import RequestRecord
from ..client.response_shapes import ResponseShape
from ..client.tokens import StreamFormat, tokens_from_record
from ..metrics import (
    e2e_ns,
    itl_ns,
    request_error,
    time_to_first_event_ns,
    ttfb_ns,
    ttft_ns,
)
from ..scenarios.buffering_detector import detect_buffering

__all__ = [
    "BUFFERED",
    "E2E",
    "EVENTS_PER_READ",
    "FIRST_EVENT",
    "ITL",
    "REQUEST_TYPE",
    "TOKENS",
    "TTFB",
    "TTFT",
    "Sample",
    "StreamOutcome",
    "stream_outcome",
]

REQUEST_TYPE = "SSE"
TTFB = "TTFB"
FIRST_EVENT = "first event"
TTFT = "TTFT"
ITL = "ITL"
E2E = "E2E"
TOKENS = "tokens"
EVENTS_PER_READ = "events per read"
#: The failure message of a buffered stream's ``events per read`` sample (constant, so
#: Locust groups them into one failure row).
BUFFERED = "buffered: content events merged into few reads (a proxy held the stream)"

_NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Sample:
    """One custom request event: ``name``, ``value`` (ms or a count), ``length``, failure."""

    name: str
    value: float
    length: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    """The stream's failure reason (``None`` if it succeeded), its samples in order, and
    its inter-token gaps in ms."""

    error: str | None
    samples: list[Sample]
    itl_ms: list[float]


def stream_outcome(
    record: RequestRecord, fmt: ResponseShape | StreamFormat, *, require_done: bool = True
) -> StreamOutcome:
    """Samples of one finished stream; undefined metrics are left out, never sent as 0.

    ``sent_ns=0``, reads at 5 ms (``data: {"token": "a"}``) and 15 ms (``"b"`` and
    ``[DONE]``) give TTFB 5, first event 5, TTFT 5, E2E 15, tokens 2, events per read
    1.0, and ``itl_ms == [10.0]``. ``fmt`` is the response shape the stream is read with.
    """
    # The single-metric functions, not request_metrics(): this runs once per stream in
    # the load generator, and TPOT, throughput and a second arrivals summary go unused.
    result = tokens_from_record(record, fmt)
    sent_ns = record.sent_ns
    arrivals = result.token_arrivals_ns
    samples: list[Sample] = []
    for name, value_ns in (
        (TTFB, ttfb_ns(sent_ns, record.first_byte_ns)),
        (FIRST_EVENT, time_to_first_event_ns(sent_ns, result.first_event_ns)),
        (TTFT, ttft_ns(sent_ns, result.first_token_ns)),
    ):
        if value_ns is not None:
            samples.append(Sample(name, value_ns / _NS_PER_MS))
    e2e = e2e_ns(sent_ns, result.last_event_ns, record.closed_ns)
    if e2e is not None:
        samples.append(Sample(E2E, e2e / _NS_PER_MS, record.bytes_received))
    output_tokens = result.output_tokens
    samples.append(Sample(TOKENS, float(output_tokens), output_tokens))
    evidence = detect_buffering(sent_ns, arrivals)
    if evidence.events_per_arrival is not None:
        samples.append(
            Sample(
                EVENTS_PER_READ,
                evidence.events_per_arrival,
                error=BUFFERED if evidence.verdict == "buffered" else None,
            )
        )
    return StreamOutcome(
        request_error(record, result, require_done=require_done),
        samples,
        [gap / _NS_PER_MS for gap in itl_ns(arrivals)],
    )
