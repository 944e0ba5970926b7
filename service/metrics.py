"""Prometheus metrics of one service app, in a registry of its own.

Never the global registry: two apps in one process (tests) must not share or
collide on counters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from .stall_watchdog import StallRecord

PREFIX = "streamgauge_service"
# Loop lag in seconds: fine below 10 ms where a healthy loop lives, coarse above.
LAG_BUCKETS_S: tuple[float, ...] = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip


class ServiceMetrics:
    """Streams, tokens, disconnects and upstream outcomes, plus loop lag and stalls."""

    def __init__(self, variant: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        info = Gauge(f"{PREFIX}_info", "Constant 1; labels describe the process", ["variant"],
                     registry=r)  # fmt: skip
        info.labels(variant=variant).set(1)
        self.active_streams = Gauge(
            f"{PREFIX}_active_streams", "Responses currently streaming to clients", registry=r
        )
        self.tokens_relayed = Counter(
            f"{PREFIX}_tokens_relayed", "Token events handed to the server for sending", registry=r
        )
        self.client_disconnects = Counter(
            f"{PREFIX}_client_disconnects", "Clients that left before the stream ended", registry=r
        )
        # Counted by reference_fast, which owns its stream object; the variants
        # on the SDK's AsyncStream leave the close to ``async with`` (or forget it).
        self.upstream_streams_opened = Counter(
            f"{PREFIX}_upstream_streams_opened",
            "Upstream streams opened (reference_fast)",
            registry=r,
        )
        self.upstream_streams_closed = Counter(
            f"{PREFIX}_upstream_streams_closed",
            "Upstream streams closed by the service: end, error or client gone (reference_fast)",
            registry=r,
        )
        self.upstream_errors = Counter(
            f"{PREFIX}_upstream_errors", "Upstream failures by reported type", ["type"],
            registry=r,
        )  # fmt: skip
        self.loop_lag = Histogram(
            f"{PREFIX}_event_loop_lag_seconds",
            "Lateness of the lag probe's sleep (perf_counter timed)",
            buckets=LAG_BUCKETS_S,
            registry=r,
        )
        self.loop_lag_max = Gauge(
            f"{PREFIX}_event_loop_lag_max_seconds", "Largest probe lateness seen", registry=r
        )
        self.loop_stalls = Counter(
            f"{PREFIX}_event_loop_stalls", "Loop silences over the stall threshold", registry=r
        )
        self.recent_stalls = Gauge(
            f"{PREFIX}_event_loop_recent_stall_seconds",
            "Duration of each of the last stalls (rank 0 newest) with where the loop was",
            ["rank", "service_frame", "blocking_call"],
            registry=r,
        )
        self._lag_max_s = 0.0

    def observe_lag(self, lag_ns: int) -> None:
        lag_s = lag_ns / 1e9
        self.loop_lag.observe(lag_s)
        if lag_s > self._lag_max_s:
            self._lag_max_s = lag_s
            self.loop_lag_max.set(lag_s)

    def record_stalls(self, newest_first: Sequence[StallRecord]) -> None:
        """Called from the watchdog thread (prometheus_client metrics are thread-safe)."""
        self.loop_stalls.inc()
        self.recent_stalls.clear()
        for rank, stall in enumerate(newest_first):
            self.recent_stalls.labels(
                rank=str(rank),
                service_frame=stall.service_frame or "",
                blocking_call=stall.blocking_call,
            ).set(stall.duration_ns / 1e9)

    def render(self) -> bytes:
        return generate_latest(self.registry)
