"""Per-request and aggregate metrics: pure functions over integer nanoseconds.

The metrics contract, version :data:`METRICS_CONTRACT_VERSION` (``docs/metrics.md``):

- Durations are integer nanoseconds from ``time.perf_counter_ns()``, measured from the
  time the request was sent (``RequestRecord.sent_ns``), not the intended time.
- TTFB: first body read. Time to first event: first dispatched SSE event of any kind.
  TTFT: first content event (non-empty text; role-only and empty chunks do not count).
- ITL: gaps between content events; a multi-token chunk is one event whose tokens all
  arrive at its arrival time. TPOT: (last - first content arrival) / (output tokens - 1),
  output tokens from usage when reported.
- E2E: last event arrival, or close time without events. Output tokens/s over E2E.
- Percentiles: linear interpolation between closest ranks (NumPy's default).
- Goodput: no error, TTFT <= SLO, mean ITL <= SLO.

A change to any definition bumps the version; results files carry it.
"""

from __future__ import annotations

from .arrivals import MergedArrivals, merged_arrivals
from .e2e import e2e_ns
from .first_event import time_to_first_event_ns
from .goodput import SLO, Goodput, SLOSubject, goodput, meets_slo
from .itl import itl_ns, mean_itl_ns
from .percentiles import SUMMARY_PERCENTILES, percentile, summarize
from .request import RequestMetrics, request_error, request_metrics
from .throughput import output_tokens_per_s
from .tpot import tpot_ns
from .ttfb import ttfb_ns
from .ttft import ttft_ns

__all__ = [
    "METRICS_CONTRACT_VERSION",
    "SLO",
    "SUMMARY_PERCENTILES",
    "Goodput",
    "MergedArrivals",
    "RequestMetrics",
    "SLOSubject",
    "e2e_ns",
    "goodput",
    "itl_ns",
    "mean_itl_ns",
    "meets_slo",
    "merged_arrivals",
    "output_tokens_per_s",
    "percentile",
    "request_error",
    "request_metrics",
    "summarize",
    "time_to_first_event_ns",
    "tpot_ns",
    "ttfb_ns",
    "ttft_ns",
]

#: Version of the definitions above and in docs/metrics.md.
METRICS_CONTRACT_VERSION = "2"
