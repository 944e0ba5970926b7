"""The buffering scenario's control for a team's service: one stream straight from the mock.

If the harness's own direct-to-mock stream arrives merged, the client or the machine is
merging reads and nothing measured behind a service can be blamed on it. If it streams,
a service whose own path arrives in bursts is buffering: a finding about the service.
"""

from __future__ import annotations

from typing import Any

from ..client.endpoints import mock_endpoint
from ..client.marker import Shaping
from ..client.response_shapes import read_record
from ..client.stream_client import stream_request
from .buffering_detector import detect_buffering


async def control_stream(
    mock_url: str, *, events: int, itl_ms: float, ttft_ms: float, tag: str, timeout_s: float
) -> dict[str, Any]:
    """Stream ``events`` tokens from the mock directly; the detector's verdict and counts."""
    endpoint = mock_endpoint(mock_url)
    request_id = f"buffering-control-{tag}"
    shaping = Shaping(ttft_ms=ttft_ms, itl_ms=itl_ms, tokens=events)
    record = await stream_request(
        endpoint.url,
        endpoint.body(request_id=request_id, shaping=shaping, max_tokens=events),
        request_id=request_id,
        scenario="buffering",
        headers=endpoint.headers({}),
        timeout_s=timeout_s,
    )
    stream = read_record(record, endpoint.response)
    evidence = detect_buffering(record.sent_ns, stream.token_arrivals_ns)
    return {
        "verdict": "error" if record.error or stream.error else evidence.verdict,
        "error": record.error or (stream.error and str(stream.error)),
        "events": evidence.n_events,
        "arrivals_with_events": evidence.n_arrivals,
        "max_events_per_arrival": evidence.max_events_per_arrival,
        "max_gap_ms": None if evidence.max_gap_ns is None else round(evidence.max_gap_ns / 1e6, 2),
    }
