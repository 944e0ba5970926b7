"""request_metrics combines the single metrics for one record, by hand-computed example."""

import json

import pytest

from loadtests.client.records import RequestRecord
from loadtests.client.tokens import StreamResult, tokens_from_record
from loadtests.metrics import MergedArrivals, request_error, request_metrics

ROLE = b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n'


def chunk(text: str) -> bytes:
    body = {"choices": [{"index": 0, "delta": {"content": text}}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def openai_record() -> RequestRecord:
    """sent 100; role chunk at 103; content at 105, 115 (two chunks), 135; usage; done at 140."""
    record = RequestRecord(
        request_id="r1", scenario="s", target="t", intended_ns=90, sent_ns=100, status=200
    )
    record.headers_ns = 102
    record.add_read(103, ROLE)
    record.add_read(105, chunk("a"))
    record.add_read(115, chunk("b") + chunk("c"))
    record.add_read(135, chunk("d"))
    usage = b'data: {"choices":[],"usage":{"completion_tokens":6}}\n\ndata: [DONE]\n\n'
    record.add_read(140, usage)
    record.closed_ns = 150
    return record


def test_openai_stream_metrics() -> None:
    """Every metric of the example, computed by hand."""
    record = openai_record()
    m = request_metrics(record, tokens_from_record(record, "openai"))
    assert m.error is None
    assert m.schedule_lag_ns == 10
    assert m.ttfb_ns == 3  # 103 - 100
    assert m.time_to_first_event_ns == 3  # the role chunk is an event
    assert m.ttft_ns == 5  # but not a token: 105 - 100
    assert m.itl_ns == (10, 0, 20)  # 105 -> 115 -> 115 -> 135
    assert m.mean_itl_ns == 10.0  # (135 - 105) / 3
    assert m.content_events == 4
    assert m.output_tokens == 6  # from usage
    assert m.tpot_ns == 6.0  # (135 - 105) / (6 - 1)
    assert m.e2e_ns == 40  # last event (140) - 100, not the close at 150
    assert m.output_tokens_per_s == pytest.approx(6 / 40e-9)
    assert m.arrivals == MergedArrivals(
        n_events=4, n_arrivals=3, max_events_per_arrival=2, max_gap_ns=20
    )


def test_to_dict_is_json_safe() -> None:
    """to_dict serialises with json.dumps and keeps ITL and arrivals."""
    record = openai_record()
    out = request_metrics(record, tokens_from_record(record, "openai")).to_dict()
    assert json.loads(json.dumps(out)) == out
    assert out["itl_ns"] == [10, 0, 20]
    assert out["arrivals"] == {
        "n_events": 4,
        "n_arrivals": 3,
        "max_events_per_arrival": 2,
        "max_gap_ns": 20,
        "events_per_arrival": 4 / 3,
    }


def test_failed_before_any_event() -> None:
    """A connection error: E2E from the close time, other times None, not 0."""
    record = RequestRecord(request_id="r", scenario="s", target="t", sent_ns=100)
    record.closed_ns = 130
    record.error = "ConnectError"
    m = request_metrics(record, tokens_from_record(record, "service"))
    assert m.error == "ConnectError"
    assert m.ttfb_ns is None
    assert m.ttft_ns is None
    assert m.mean_itl_ns is None
    assert m.tpot_ns is None
    assert m.e2e_ns == 30
    assert m.output_tokens == 0
    assert m.output_tokens_per_s == 0.0


def ok_record(status: int | None = 200) -> RequestRecord:
    return RequestRecord(request_id="r", scenario="s", target="t", sent_ns=0, status=status)


@pytest.mark.parametrize(
    ("record", "result", "expected"),
    [
        (ok_record(), StreamResult("service", done=True), None),
        (ok_record(None), StreamResult("service", done=True), "no_status"),
        (ok_record(503), StreamResult("service", done=True), "http_503"),
        (
            ok_record(),
            StreamResult("service", error={"type": "upstream_timeout"}),
            "stream_error:upstream_timeout",
        ),
        (ok_record(), StreamResult("openai", error={"code": 429}), "stream_error:429"),
        (ok_record(), StreamResult("openai", error={"message": "x"}), "stream_error:error_event"),
        (ok_record(), StreamResult("service"), "incomplete"),
    ],
)
def test_request_error(record: RequestRecord, result: StreamResult, expected: str | None) -> None:
    """Failure reasons, in order: transport, status, error event, missing [DONE]."""
    assert request_error(record, result) == expected


def test_transport_error_wins() -> None:
    """record.error is reported even with a 500 status."""
    record = ok_record(500)
    record.error = "ReadTimeout"
    assert request_error(record, StreamResult("service")) == "ReadTimeout"


def test_done_can_be_optional() -> None:
    """Targets that never send [DONE] can opt out of the incomplete check."""
    assert request_error(ok_record(), StreamResult("openai"), require_done=False) is None
