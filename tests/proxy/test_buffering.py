"""The buffering scenario against a real nginx and real services, per uvicorn protocol.

Pinned verdicts (nginx 1.22.1, uvicorn 0.54, 50 events 20 ms apart):

- gzip on text/event-stream holds the stream of ``no_accel_header`` to the end and
  streams ``reference`` (its ``X-Accel-Buffering: no``), whatever the protocol.
- nginx's defaults hold ``no_accel_header`` only when the service answers nginx's
  HTTP/1.0 request close-delimited (h11). Under httptools the answer is chunked and
  nginx relays it chunk by chunk: that path streams by accident, not by design.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from loadtests.client.stream_client import stream_request
from loadtests.scenarios.buffering import PATHS, measure_path, run_buffering
from loadtests.scenarios.result import ScenarioResult
from loadtests.systems.nginx import running_nginx
from tests.proxy.conftest import EVENTS, Services

pytestmark = pytest.mark.proxy

_STREAMS = "streams"
_BUFFERED = "buffered"
PINNED: dict[str, dict[str, str]] = {
    "httptools": {
        "direct": _STREAMS,
        "nginx_defaults": _STREAMS,
        "nginx_defaults_accel_header": _STREAMS,
        "nginx_buffering_off": _STREAMS,
        "nginx_gzip": _BUFFERED,
        "nginx_gzip_accel_header": _STREAMS,
    },
    "h11": {
        "direct": _STREAMS,
        "nginx_defaults": _BUFFERED,
        "nginx_defaults_accel_header": _STREAMS,
        "nginx_buffering_off": _STREAMS,
        "nginx_gzip": _BUFFERED,
        "nginx_gzip_accel_header": _STREAMS,
    },
}
PINNED_FRAMING = {"httptools": "chunked", "h11": "close"}


@pytest.fixture(scope="module")
def buffering(
    services: Services, nginx_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> ScenarioResult:
    log_dir = tmp_path_factory.mktemp(f"buffering-{services.protocol}")
    return asyncio.run(run_buffering(services.urls, nginx_path=nginx_binary, log_dir=log_dir))


def test_run_is_valid_and_measures_every_path(buffering: ScenarioResult) -> None:
    """All six paths measured; no failed request, no lagging client, direct control streams."""
    assert buffering.skipped is None
    assert buffering.invalid_reasons == []
    assert set(buffering.verdicts) == {p.name for p in PATHS}


@pytest.mark.parametrize("path", [p.name for p in PATHS])
def test_verdict_is_pinned_and_predicted(
    buffering: ScenarioResult, services: Services, path: str
) -> None:
    """The measured verdict equals the pinned one and the scenario's own prediction."""
    evidence = "\n".join(buffering.evidence)
    assert buffering.verdicts[path] == PINNED[services.protocol][path], evidence
    assert buffering.expected[path] == buffering.verdicts[path], evidence


def test_services_answer_http10_as_pinned(buffering: ScenarioResult, services: Services) -> None:
    """httptools answers nginx's HTTP/1.0 request chunked, h11 close-delimited; only the
    reference sends X-Accel-Buffering: no. This is what decides the defaults paths."""
    heads = buffering.numbers["upstream_http10"]
    framing = PINNED_FRAMING[services.protocol]
    assert heads["no_accel_header"] == {
        "status": 200,
        "framing": framing,
        "x_accel_buffering": None,
    }
    assert heads["reference"] == {"status": 200, "framing": framing, "x_accel_buffering": "no"}


def test_buffered_paths_arrive_at_the_end_in_one_piece(buffering: ScenarioResult) -> None:
    """Buffered: headers and first byte after > 80% of the stream, >= 10 events per read."""
    stream_ms = buffering.numbers["direct"]["last_event_ms"]
    buffered = [name for name, v in buffering.verdicts.items() if v == _BUFFERED]
    assert buffered
    for name in buffered:
        numbers = buffering.numbers[name]
        assert numbers["headers_ms"] > 0.8 * stream_ms, (name, numbers)
        assert numbers["ttfb_ms"] > 0.8 * stream_ms, (name, numbers)
        assert numbers["ttft_ms"] > 0.8 * stream_ms, (name, numbers)
        assert numbers["events"] == EVENTS, (name, numbers)
        assert numbers["events_per_arrival"] >= 10, (name, numbers)
        assert numbers["ttft_added_ms"] > 0.7 * stream_ms, (name, numbers)


def test_streaming_paths_deliver_event_by_event(buffering: ScenarioResult) -> None:
    """Streams: first event within 100 ms of the direct path's and in the first 20% of the
    stream (a held stream shows it after 80%), >= 90% of events in reads of their own."""
    direct = buffering.numbers["direct"]
    streaming = [name for name, v in buffering.verdicts.items() if v == _STREAMS]
    for name in streaming:
        numbers = buffering.numbers[name]
        assert numbers["first_event_ms"] < direct["first_event_ms"] + 100, (name, numbers)
        assert numbers["first_event_ms"] < 0.2 * direct["last_event_ms"], (name, numbers)
        assert numbers["events"] == EVENTS, (name, numbers)
        assert numbers["arrivals_with_events"] >= 0.9 * EVENTS, (name, numbers)
        assert numbers["max_gap_ms"] < 10 * 20, (name, numbers)


def test_gzip_paths_were_compressed(buffering: ScenarioResult) -> None:
    """The gzip paths measured gzip: nginx compressed both, buffered or not."""
    assert buffering.numbers["nginx_gzip"]["compressed"] is True
    assert buffering.numbers["nginx_gzip_accel_header"]["compressed"] is True
    assert buffering.numbers["nginx_defaults"]["compressed"] is False


async def test_http11_without_gzip_streams(
    services: Services, nginx_binary: str, tmp_path: Path
) -> None:
    """The control for gzip.conf: http11.conf (same proxy, no gzip) streams the variant
    without the header even for a client that accepts gzip. So gzip, not HTTP/1.1 or
    proxy_buffering on, is what holds the nginx_gzip path."""
    with running_nginx(
        "http11", services.urls["no_accel_header"], nginx_path=nginx_binary, prefix=tmp_path
    ) as nginx:
        record = await stream_request(
            nginx.url + "/chat/stream",
            {"prompt": "hi"},
            request_id=f"http11-control-{uuid.uuid4().hex[:8]}",
            headers={"accept-encoding": "gzip"},
        )
    numbers, evidence, error = measure_path(record)
    assert error is None
    assert evidence.verdict == _STREAMS, numbers
    assert numbers["compressed"] is False
    assert numbers["first_event_share"] < 0.2, numbers
    assert numbers["arrivals_with_events"] >= 0.9 * EVENTS, numbers
