"""What the Locust streaming user fires per stream, from the measurement core's metrics."""

from __future__ import annotations

from loadtests.client.records import RequestRecord
from loadtests.client.response_shapes import ResponseShape
from loadtests.load.stream_samples import (
    BUFFERED,
    E2E,
    EVENTS_PER_READ,
    FIRST_EVENT,
    TOKENS,
    TTFB,
    TTFT,
    Sample,
    stream_outcome,
)

MS = 1_000_000
A = b'data: {"token": "a"}\n\n'
B = b'data: {"token": "b"}\n\n'
DONE = b"data: [DONE]\n\n"


def record(
    *reads: tuple[int, bytes], status: int | None = 200, closed_ms: int = 20
) -> RequestRecord:
    r = RequestRecord(request_id="r", scenario="t", target="t", sent_ns=0, status=status)
    for at_ms, data in reads:
        r.add_read(at_ms * MS, data)
    r.closed_ns = closed_ms * MS
    return r


def test_one_sample_per_metric_and_per_gap() -> None:
    """Reads at 5 ms (a) and 15 ms (b, [DONE]): TTFB/first event/TTFT 5, ITL [10], E2E 15,
    2 tokens, 1 event per read."""
    rec = record((5, A), (15, B + DONE))
    outcome = stream_outcome(rec, "service")
    assert outcome.error is None
    assert outcome.samples == [
        Sample(TTFB, 5.0),
        Sample(FIRST_EVENT, 5.0),
        Sample(TTFT, 5.0),
        Sample(E2E, 15.0, len(A + B + DONE)),
        Sample(TOKENS, 2.0, 2),
        Sample(EVENTS_PER_READ, 1.0),
    ]
    assert outcome.itl_ms == [10.0]


def test_role_only_chunk_is_a_first_event_not_a_token() -> None:
    """OpenAI format: a role-only chunk at 3 ms sets first event, the content at 8 ms TTFT."""
    role = b'data: {"choices": [{"delta": {"role": "assistant", "content": ""}}]}\n\n'
    text = b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\n'
    outcome = stream_outcome(record((3, role), (8, text + DONE)), "openai")
    values = {s.name: s.value for s in outcome.samples}
    assert values[FIRST_EVENT] == 3.0
    assert values[TTFT] == 8.0
    assert values[TOKENS] == 1.0
    assert outcome.itl_ms == []  # one content event: no gap


def test_everything_in_one_read_is_flagged_buffered() -> None:
    """Three tokens in one read at 100 ms: TTFT = E2E, 3 events per read, a failure."""
    outcome = stream_outcome(record((100, A + B + A + DONE)), "service")
    by_name = {s.name: s for s in outcome.samples}
    assert by_name[TTFT].value == by_name[E2E].value == 100.0
    assert outcome.itl_ms == [0.0, 0.0]
    assert by_name[EVENTS_PER_READ] == Sample(EVENTS_PER_READ, 3.0, error=BUFFERED)
    assert outcome.error is None  # the stream itself succeeded


def test_failed_request_sends_no_made_up_latency() -> None:
    """HTTP 500, no body: only E2E (close - sent) and 0 tokens; never a TTFT of 0."""
    outcome = stream_outcome(record(status=500, closed_ms=7), "service")
    assert outcome.error == "http_500"
    assert outcome.samples == [Sample(E2E, 7.0, 0), Sample(TOKENS, 0.0, 0)]


def test_stream_without_done_is_incomplete() -> None:
    outcome = stream_outcome(record((5, A), (15, B)), "service")
    assert outcome.error == "incomplete"
    assert Sample(TTFT, 5.0) in outcome.samples


def test_text_body_samples() -> None:
    """A text/plain body read as ``text``: TTFT at the first read, tokens are words."""
    rec = record((4, b"Hello"), (9, b" there friend"))
    rec.response_headers = {"content-type": "text/plain"}
    rec.complete = True
    outcome = stream_outcome(rec, ResponseShape())
    values = {s.name: s.value for s in outcome.samples}
    assert outcome.error is None
    assert values[TTFT] == 4.0
    assert values[TOKENS] == 3.0
    assert outcome.itl_ms == [5.0]
