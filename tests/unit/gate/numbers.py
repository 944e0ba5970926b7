"""Hand-made ``measure()`` numbers in the gate v2 contract's shape (/tmp/gate_v2_spec.md)."""

from __future__ import annotations

import copy
from typing import Any

from loadtests.gate.readings import FAULT_KINDS

CHECK_NAMES = [
    "ttft.ratio",
    "ttft.p99_ms",
    "blocking.healthz_p99_ms",
    "blocking.ttft_spread_ms",
    *(
        f"disconnect.{mode}.{key}"
        for mode in ("close_after", "stop_reading", "burst")
        for key in ("tokens_after_max", "upstream_close_ms")
    ),
    "buffering.direct",
    "buffering.nginx_defaults",
    "buffering.nginx_gzip",
    "per_token.single.itl_p50_ratio",
    "per_token.single.itl_p95_ratio",
    "per_token.concurrent.itl_p50_ratio",
    "per_token.concurrent.itl_p95_ratio",
    "load.ttft_p50_ratio",
    "load.tokens_per_s_ratio",
    "load.cpu_us_per_token",
    "integrity.mismatched_streams",
    "termination.silent_truncations",
    *(f"faults.{kind}" for kind in FAULT_KINDS),
    "faults.upstream_calls_per_request",
    "leaks.rss_growth_mb",
    "leaks.open_connections_growth",
    "leaks.upstream_open_after_clients_left",
]


def _pt(ratio: float) -> dict[str, float]:
    return {
        "itl_p50_ms": 5.0 * ratio,
        "itl_p95_ms": 6.0 * ratio,
        "direct_itl_p50_ms": 5.0,
        "direct_itl_p95_ms": 6.0,
        "itl_p50_ratio": ratio,
        "itl_p95_ratio": ratio,
    }


HEALTHY: dict[str, Any] = {
    "invalid": [],
    "harness": {"client_loop_lag_p99_ms": 2.0, "direct_ok": True},
    "ttft": {"ratio": 1.1, "p50_ms": 55.0, "p99_ms": 70.0, "direct_p50_ms": 50.0},
    "blocking": {"healthz_p99_ms": 4.0, "ttft_spread_ms": 13.0},
    "disconnect": {
        "close_after": {"tokens_after_max": 0, "upstream_close_ms": 0.7},
        "stop_reading": {"tokens_after_max": 0, "upstream_close_ms": 6.5},
        "burst": {"tokens_after_max": 0, "upstream_close_ms": 31.0},
    },
    "buffering": {"direct": "streams", "nginx_defaults": "streams", "nginx_gzip": "streams"},
    "per_token": {"single": _pt(1.05), "concurrent": _pt(1.2), "streams": 50},
    "load": {
        "streams": 50,
        "ttft_p50_ratio": 1.3,
        "tokens_per_s": 950.0,
        "direct_tokens_per_s": 1000.0,
        "tokens_per_s_ratio": 0.95,
        "cpu_us_per_token": 150.0,
    },
    "integrity": {
        "streams": 50,
        "mismatched_streams": 0,
        "lost_tokens": 0,
        "duplicated_tokens": 0,
        "first_mismatch": None,
    },
    "termination": {"streams": 120, "terminated": 120, "silent_truncations": 0},
    "faults": {
        "rate_limited_429": {
            "outcome": "recovered",
            "status": 200,
            "seconds": 0.3,
            "upstream_calls": 2,
        },
        "status_500": {"outcome": "status", "status": 502, "seconds": 0.1, "upstream_calls": 1},
        "error_mid_stream": {
            "outcome": "error_event",
            "status": 200,
            "seconds": 0.2,
            "upstream_calls": 1,
        },
        "dropped_connection": {
            "outcome": "error_event",
            "status": 200,
            "seconds": 0.2,
            "upstream_calls": 1,
        },
        "stall_past_timeout": {
            "outcome": "error_event",
            "status": 200,
            "seconds": 2.1,
            "upstream_calls": 1,
        },
        "upstream_calls_per_request_max": 2,
        "upstream_calls_per_request_baseline_retries": None,
    },
    "leaks": {
        "rss_growth_mb": 0.5,
        "open_connections_growth": 0,
        "upstream_open_after_clients_left": 0,
    },
}


def healthy() -> dict[str, Any]:
    """A fresh deep copy of :data:`HEALTHY`, to change one thing in."""
    return copy.deepcopy(HEALTHY)
