"""All per-request metrics of one stream, from its record and its parsed result.

This is the only place that combines the single-metric functions; each formula lives in
its own module's docstring.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..client.records import RequestRecord
from ..client.tokens import StreamResult
from .arrivals import MergedArrivals, merged_arrivals
from .e2e import e2e_ns
from .first_event import time_to_first_event_ns
from .itl import itl_ns, mean_itl_ns
from .throughput import output_tokens_per_s
from .tpot import tpot_ns
from .ttfb import ttfb_ns
from .ttft import ttft_ns

__all__ = ["RequestMetrics", "request_error", "request_metrics"]


@dataclass(frozen=True, slots=True)
class RequestMetrics:
    """Derived metrics of one request; durations in ns, ``None`` when undefined."""

    request_id: str
    scenario: str
    target: str
    status: int | None
    error: str | None
    schedule_lag_ns: int | None
    ttfb_ns: int | None
    time_to_first_event_ns: int | None
    ttft_ns: int | None
    e2e_ns: int | None
    itl_ns: tuple[int, ...]
    mean_itl_ns: float | None
    tpot_ns: float | None
    content_events: int
    output_tokens: int
    output_tokens_per_s: float | None
    arrivals: MergedArrivals

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict (``itl_ns`` as a list, ``arrivals`` nested)."""
        out = asdict(self)
        out["itl_ns"] = list(self.itl_ns)
        out["arrivals"]["events_per_arrival"] = self.arrivals.events_per_arrival
        return out


def request_error(
    record: RequestRecord, result: StreamResult, *, require_done: bool = True
) -> str | None:
    """Why the request failed, or ``None``; checked in this order.

    Transport error (``record.error``), no status, non-2xx status, an error event
    (its ``type``, else ``code``, else ``"error_event"``), then, if ``require_done``, a
    stream that ended without ``[DONE]`` (``"incomplete"``).
    """
    if record.error is not None:
        return record.error
    if record.status is None:
        return "no_status"
    if not 200 <= record.status < 300:
        return f"http_{record.status}"
    if result.error is not None:
        kind = result.error.get("type") or result.error.get("code") or "error_event"
        return f"stream_error:{kind}"
    if require_done and not result.done:
        return "incomplete"
    return None


def request_metrics(
    record: RequestRecord, result: StreamResult, *, require_done: bool = True
) -> RequestMetrics:
    """Compute every per-request metric of ``docs/metrics.md``."""
    arrivals = result.token_arrivals_ns
    output_tokens = result.output_tokens
    e2e = e2e_ns(record.sent_ns, result.last_event_ns, record.closed_ns)
    return RequestMetrics(
        request_id=record.request_id,
        scenario=record.scenario,
        target=record.target,
        status=record.status,
        error=request_error(record, result, require_done=require_done),
        schedule_lag_ns=record.schedule_lag_ns,
        ttfb_ns=ttfb_ns(record.sent_ns, record.first_byte_ns),
        time_to_first_event_ns=time_to_first_event_ns(record.sent_ns, result.first_event_ns),
        ttft_ns=ttft_ns(record.sent_ns, result.first_token_ns),
        e2e_ns=e2e,
        itl_ns=tuple(itl_ns(arrivals)),
        mean_itl_ns=mean_itl_ns(arrivals),
        tpot_ns=tpot_ns(result.first_token_ns, result.last_token_ns, output_tokens),
        content_events=len(arrivals),
        output_tokens=output_tokens,
        output_tokens_per_s=output_tokens_per_s(output_tokens, e2e),
        arrivals=merged_arrivals(arrivals),
    )
