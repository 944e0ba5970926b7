"""Upstream faults: one request per kind, injected through the prompt's marker.

Each fault reaches the mock as the request's own ``fault`` (mock_llm FaultSpec):

- ``rate_limited_429``: HTTP 429 with ``Retry-After: 0`` before the first token, sent
  once per request id (``fault-times=1``), so an SDK's retry gets the full stream;
- ``status_500``: HTTP 500 before the first token, on every attempt;
- ``error_mid_stream``: an error event instead of content chunk 5;
- ``dropped_connection``: the upstream connection closed before content chunk 5;
- ``stall_past_timeout``: 4 s of silence before content chunk 5, past a 2 s read timeout.

The client's outcome (pure, :func:`outcome`), checked in this order:

1. ``hang``: no end within :data:`BOUND_S` of the request;
2. ``status``: an HTTP status >= 400 (before any content);
3. ``error_event``: an error event or object in the body;
4. ``recovered``: the format's terminator and exactly the text of an attempt that
   finished generating (a retried 429, a stall waited out);
5. ``error``: the connection was cut or unparseable (the client saw a failure);
6. ``silent_end``: the body ended without a terminator or an error, or with a terminator
   after the wrong text: the client cannot tell it from a complete answer.

Upstream calls per request: the mock keeps every attempt as its own ledger record
under the marker's request id (``attempt`` 1, 2, ...), so calls = records for that id,
counted once the mock is quiet. A service that sets its own ``x-request-id`` upstream
hides its attempts from this count (``0``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ...client.endpoints import Endpoint
from ...client.ledger import fetch_records
from ...client.marker import Shaping
from ...client.records import RequestRecord
from ...client.response_shapes import read_record
from ...client.stream_client import stream_request
from ...client.tokens import StreamResult
from ...scenarios.suite import wait_until_quiet
from .integrity import expected_from_records

__all__ = [
    "BOUND_S",
    "FAULT_KINDS",
    "FAULT_SHAPES",
    "Outcome",
    "fault_numbers",
    "outcome",
    "run_faults",
]

FAULT_KINDS: tuple[str, ...] = (
    "rate_limited_429",
    "status_500",
    "error_mid_stream",
    "dropped_connection",
    "stall_past_timeout",
)
BOUND_S = 8.0
STALL_S = 4.0
_BASE: dict[str, Any] = {"ttft_ms": 20.0, "itl_ms": 20.0, "tokens": 20}
FAULT_SHAPES: dict[str, Shaping] = {
    "rate_limited_429": Shaping(
        **_BASE, fault="status", fault_status=429, fault_retry_after=0, fault_times=1
    ),
    "status_500": Shaping(**_BASE, fault="status", fault_status=500),
    "error_mid_stream": Shaping(**_BASE, fault="error_event", fault_at=5),
    "dropped_connection": Shaping(**_BASE, fault="drop", fault_at=5),
    "stall_past_timeout": Shaping(**_BASE, fault="stall", fault_at=5, fault_seconds=STALL_S),
}

Outcome = Literal["status", "error_event", "recovered", "silent_end", "hang", "error"]


def outcome(
    record: RequestRecord, result: StreamResult, expected_text: str | None, bound_s: float
) -> Outcome:
    """The client-side outcome of one faulted request (module rules). Pure."""
    seconds = None if record.closed_ns is None else (record.closed_ns - record.sent_ns) / 1e9
    if (record.error or "").startswith("timed out") or (seconds is not None and seconds > bound_s):
        return "hang"
    if record.status is not None and record.status >= 400:
        return "status"
    if result.error is not None:
        return "error_event"
    if result.terminator_seen and expected_text is not None and result.text == expected_text:
        return "recovered"
    if record.error is not None:
        return "error"
    return "silent_end"


def fault_one(
    record: RequestRecord,
    result: StreamResult,
    ledger: Sequence[Mapping[str, Any]],
    bound_s: float = BOUND_S,
) -> dict[str, Any]:
    """The contract's ``F`` for one kind, from the client's record and the mock's. Pure."""
    expected = expected_from_records(ledger)
    seconds = None if record.closed_ns is None else (record.closed_ns - record.sent_ns) / 1e9
    return {
        "outcome": outcome(record, result, None if expected is None else expected.text, bound_s),
        "status": record.status,
        "seconds": None if seconds is None else round(seconds, 3),
        "upstream_calls": len(ledger),
    }


def fault_numbers(per_kind: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The contract's ``faults`` dict: each kind's ``F`` and the most upstream calls. Pure.

    ``upstream_calls_per_request_baseline_retries`` is the baseline's to fill (RULES).
    """
    calls = [f["upstream_calls"] for f in per_kind.values() if f["upstream_calls"] is not None]
    return {
        **{kind: dict(per_kind[kind]) for kind in FAULT_KINDS if kind in per_kind},
        "upstream_calls_per_request_max": max(calls) if calls else None,
        "upstream_calls_per_request_baseline_retries": None,
    }


async def run_faults(target: Endpoint, mock_url: str, bound_s: float = BOUND_S) -> dict[str, Any]:
    """Every kind at once (one request each), then the mock's count of calls per id."""
    tag = uuid.uuid4().hex[:8]
    ids = {kind: f"fault-{kind.replace('_', '-')}-{tag}" for kind in FAULT_KINDS}

    async def one(kind: str) -> RequestRecord:
        shaping = FAULT_SHAPES[kind]
        return await stream_request(
            target.url,
            target.body(request_id=ids[kind], shaping=shaping, max_tokens=shaping.tokens),
            request_id=ids[kind],
            scenario="faults",
            headers=target.headers(),
            timeout_s=bound_s,
        )

    records = await asyncio.gather(*(one(kind) for kind in FAULT_KINDS))
    # Retries the service is still making (or a stall it still waits out) land first.
    await wait_until_quiet(mock_url, timeout_s=STALL_S + 2.0)
    per_kind = {
        kind: fault_one(
            record,
            read_record(record, target.response),
            fetch_records(mock_url, ids[kind]),
            bound_s,
        )
        for kind, record in zip(FAULT_KINDS, records, strict=True)
    }
    return fault_numbers(per_kind)
