"""The buffering scenario's pure parts: the nginx model and per-path numbers."""

from __future__ import annotations

import zlib

import pytest

from loadtests.client.records import RequestRecord
from loadtests.scenarios import buffering as buffering_module
from loadtests.scenarios.buffering import PATHS, ProxyPath, expected_verdict, measure_path
from loadtests.scenarios.proxy_framing import UpstreamHead
from loadtests.scenarios.result import ScenarioResult

CHUNKED = UpstreamHead(200, {"transfer-encoding": "chunked"})
CLOSE = UpstreamHead(200, {})
CHUNKED_NO_BUFFERING = UpstreamHead(
    200, {"transfer-encoding": "chunked", "x-accel-buffering": "no"}
)
CLOSE_NO_BUFFERING = UpstreamHead(200, {"x-accel-buffering": "no"})
BY_NAME = {p.name: p for p in PATHS}


@pytest.mark.parametrize(
    ("path", "head", "expected"),
    [
        ("direct", CLOSE, "streams"),
        ("nginx_defaults", CLOSE, "buffered"),
        ("nginx_defaults", CHUNKED, "streams"),
        ("nginx_defaults", CLOSE_NO_BUFFERING, "streams"),
        ("nginx_buffering_off", CLOSE, "streams"),
        ("nginx_gzip", CHUNKED, "buffered"),
        ("nginx_gzip", CLOSE, "buffered"),
        ("nginx_gzip_accel_header", CHUNKED_NO_BUFFERING, "streams"),
    ],
)
def test_expected_verdict_follows_nginx_as_measured(
    path: str, head: UpstreamHead, expected: str
) -> None:
    assert expected_verdict(BY_NAME[path], head) == expected


def test_gzip_config_streams_for_a_client_that_does_not_accept_gzip() -> None:
    assert expected_verdict(ProxyPath("x", "gzip", "no_accel_header"), CHUNKED) == "streams"
    assert expected_verdict(ProxyPath("x", "http11", "no_accel_header"), CLOSE) == "streams"


def _event(token: str) -> bytes:
    return b'data: {"token":"' + token.encode() + b'"}\n\n'


def _record(reads: list[tuple[int, bytes]]) -> RequestRecord:
    return RequestRecord(
        request_id="r", scenario="buffering", target="t", sent_ns=0,
        headers_ns=reads[0][0] if reads else None, status=200, reads=reads,
        closed_ns=reads[-1][0] if reads else 5_000_000,
    )  # fmt: skip


def test_plain_streamed_record() -> None:
    """Three events 20 ms apart then [DONE]: one per read, TTFB = TTFT = 20 ms."""
    ms = 1_000_000
    record = _record(
        [
            (20 * ms, _event("a")),
            (40 * ms, _event("b")),
            (60 * ms, _event("c") + b"data: [DONE]\n\n"),
        ]
    )
    numbers, evidence, error = measure_path(record)
    assert error is None
    assert evidence.verdict == "streams"
    assert numbers["headers_ms"] == numbers["ttfb_ms"] == numbers["ttft_ms"] == 20.0
    assert numbers["last_event_ms"] == 60.0
    assert (numbers["events"], numbers["arrivals_with_events"], numbers["max_gap_ms"]) == (
        3,
        3,
        20.0,
    )
    assert numbers["compressed"] is False


def test_gzip_record_held_to_the_end() -> None:
    """Compressed header byte at 5 ms, all events at 1000 ms: TTFB 5 ms, TTFT 1000 ms."""
    ms = 1_000_000
    body = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    text = b"".join(_event(t) for t in "abcd") + b"data: [DONE]\n\n"
    compressed = body.compress(text) + body.flush()
    record = _record([(5 * ms, compressed[:3]), (1000 * ms, compressed[3:])])
    numbers, evidence, error = measure_path(record)
    assert error is None
    assert numbers["compressed"] is True
    assert numbers["ttfb_ms"] == 5.0
    assert numbers["first_event_ms"] == numbers["ttft_ms"] == 1000.0
    assert numbers["bytes_received"] == len(compressed)
    assert (evidence.n_events, evidence.n_arrivals, evidence.verdict) == (4, 1, "buffered")


def test_corrupt_gzip_is_an_error() -> None:
    _, _, error = measure_path(_record([(1, b"\x1f\x8b\x08\x00not-deflate-data")]))
    assert error is not None
    assert error.startswith("corrupt gzip body")


def test_stream_without_done_is_an_error() -> None:
    _, _, error = measure_path(_record([(1, _event("a")), (2, _event("b"))]))
    assert error == "incomplete"


async def test_without_nginx_the_scenario_is_skipped_and_invalid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No nginx: nothing is measured, and the result says why instead of passing quietly."""
    monkeypatch.setattr(buffering_module, "find_nginx", lambda: None)
    result = await buffering_module.run_buffering({"no_accel_header": "http://127.0.0.1:9"})
    assert result.skipped is not None
    assert "nginx not found" in result.skipped
    assert result.valid is False
    assert result.verdicts == {}


def test_headline_names_the_buffered_path_and_the_fix() -> None:
    result = ScenarioResult(
        name="buffering",
        settings={},
        numbers={
            "direct": {"ttft_ms": 29.0},
            "nginx_gzip": {"ttft_ms": 1025.6, "events": 50, "arrivals_with_events": 1},
            "nginx_gzip_accel_header": {"ttft_ms": 30.8},
        },
        verdicts={
            "direct": "streams",
            "nginx_gzip": "buffered",
            "nginx_gzip_accel_header": "streams",
        },
    )
    assert buffering_module.headline(result) == [
        "Behind nginx (gzip.conf -> no_accel_header (client accepts gzip)): first token after "
        "1026 ms (direct 29 ms), 50 events in 1 read(s).",
        "X-Accel-Buffering: no or proxy_buffering off streams it: "
        "TTFT nginx_gzip_accel_header 31 ms.",
    ]


def test_headline_is_empty_when_nothing_buffered() -> None:
    result = ScenarioResult(
        name="buffering",
        settings={},
        numbers={"direct": {"ttft_ms": 29.0}},
        verdicts={"direct": "streams"},
    )
    assert buffering_module.headline(result) == []
