"""Counters of the mock, exported to Prometheus at scrape time.

Plain integers on the hot path (a prometheus_client Histogram.observe per
token would cost more than writing the token); a custom collector turns them
into metric families when ``/metrics`` is scraped. One registry per server.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

# Lateness buckets: every 250 us up to 5 ms (where the mock's budget is), then
# coarse. Streams fold their writes in with MockStats.observe_written.
FINE_STEP_NS = 250_000
FINE_BUCKETS = 20
COARSE_BOUNDS_NS: tuple[int, ...] = tuple(ms * 1_000_000 for ms in (10, 25, 50, 100, 250, 1000))
LATENESS_BOUNDS_NS: tuple[int, ...] = (
    *(FINE_STEP_NS * (i + 1) for i in range(FINE_BUCKETS)),
    *COARSE_BOUNDS_NS,
)


class MockStats:
    def __init__(self) -> None:
        self.requests = 0
        self.responses_by_status: dict[int, int] = {}
        self.tokens_generated = 0
        self.tokens_written = 0
        self.tokens_after_disconnect = 0
        self.disconnects = 0
        self.active_streams = 0
        self.queued = 0
        # The prompt's correlation marker (mock_llm/marker.py): requests that carried
        # one, and '[sg:' texts that were none (with the latest reason).
        self.markers_seen = 0
        self.markers_malformed = 0
        self.marker_malformed_last: str | None = None
        self.lateness_counts = [0] * (len(LATENESS_BOUNDS_NS) + 1)
        self.lateness_sum_ns = 0
        self.lateness_max_ns = 0

    def observe_lateness(self, late_ns: int) -> None:
        late_ns = max(late_ns, 0)
        self.lateness_counts[bisect.bisect_left(LATENESS_BOUNDS_NS, late_ns)] += 1
        self.lateness_sum_ns += late_ns
        self.lateness_max_ns = max(self.lateness_max_ns, late_ns)

    def observe_written(self, written_ns: Iterable[int], deadlines_ns: Iterable[int]) -> int:
        """:meth:`observe_lateness` for many writes at once, paired in order; returns the max.

        Streams stamp their writes and fold them in here later (at the end of
        the stream, or when someone reads the stats): one sort and a bisect per
        occupied bucket instead of a dozen bytecodes per token on the write path.
        """
        lates: list[int] = sorted(map(operator.sub, written_ns, deadlines_ns))
        if not lates:
            return 0
        counts = self.lateness_counts
        total = len(lates)
        # Early or on time counts as 0 late (bucket 0, nothing added to the sum).
        self.lateness_sum_ns += sum(lates[bisect.bisect_right(lates, 0) :])
        below = 0
        for i, bound in enumerate(LATENESS_BOUNDS_NS):  # bucket i: (bound i-1, bound i]
            upto = bisect.bisect_right(lates, bound, below)
            counts[i] += upto - below
            below = upto
            if below == total:
                break
        else:
            counts[-1] += total - below
        latest: int = max(lates[-1], 0)
        self.lateness_max_ns = max(self.lateness_max_ns, latest)
        return latest

    def lateness_quantile_ns(self, q: float) -> int | None:
        """Upper bucket bound holding quantile ``q`` (conservative: never under-reports)."""
        total = sum(self.lateness_counts)
        if total == 0:
            return None
        rank = q * total
        seen = 0
        for i, count in enumerate(self.lateness_counts):
            seen += count
            if seen >= rank:
                return (
                    LATENESS_BOUNDS_NS[i] if i < len(LATENESS_BOUNDS_NS) else self.lateness_max_ns
                )
        return self.lateness_max_ns

    def snapshot(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "responses_by_status": {str(k): v for k, v in sorted(self.responses_by_status.items())},
            "tokens_generated": self.tokens_generated,
            "tokens_written": self.tokens_written,
            "tokens_after_disconnect": self.tokens_after_disconnect,
            "disconnects": self.disconnects,
            "active_streams": self.active_streams,
            "queued": self.queued,
            "markers_seen": self.markers_seen,
            "markers_malformed": self.markers_malformed,
            "marker_malformed_last": self.marker_malformed_last,
            "lateness_tokens": sum(self.lateness_counts),
            "lateness_p50_ns": self.lateness_quantile_ns(0.50),
            "lateness_p99_ns": self.lateness_quantile_ns(0.99),
            "lateness_max_ns": self.lateness_max_ns,
            "lateness_bucket_bounds_ns": list(LATENESS_BOUNDS_NS),
            "lateness_bucket_counts": list(self.lateness_counts),
        }


class _StatsCollector(Collector):
    def __init__(self, stats: MockStats) -> None:
        self._stats = stats

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        s = self._stats
        yield CounterMetricFamily("mock_llm_requests", "Requests received", value=s.requests)
        responses = CounterMetricFamily(
            "mock_llm_responses", "Responses by HTTP status", labels=["status"]
        )
        for status, count in sorted(s.responses_by_status.items()):
            responses.add_metric([str(status)], count)
        yield responses
        yield CounterMetricFamily(
            "mock_llm_tokens_generated", "Tokens generated", value=s.tokens_generated
        )
        yield CounterMetricFamily(
            "mock_llm_tokens_written", "Tokens written to a socket", value=s.tokens_written
        )
        yield CounterMetricFamily(
            "mock_llm_tokens_after_disconnect",
            "Tokens generated after the client disconnected",
            value=s.tokens_after_disconnect,
        )
        yield CounterMetricFamily(
            "mock_llm_disconnects", "Clients gone mid-response", value=s.disconnects
        )
        yield CounterMetricFamily(
            "mock_llm_markers_seen",
            "Requests whose prompt carried a well-formed correlation marker",
            value=s.markers_seen,
        )
        yield CounterMetricFamily(
            "mock_llm_markers_malformed",
            "Marker-like texts in prompts that were not well-formed markers",
            value=s.markers_malformed,
        )
        yield GaugeMetricFamily(
            "mock_llm_active_streams", "Streams generating", value=s.active_streams
        )
        yield GaugeMetricFamily(
            "mock_llm_queued_requests", "Requests waiting for a slot", value=s.queued
        )
        cumulative = 0
        buckets: list[tuple[str, float]] = []
        for bound, count in zip((*LATENESS_BOUNDS_NS, None), s.lateness_counts, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound is None else repr(bound / 1e9), cumulative))
        yield HistogramMetricFamily(
            "mock_llm_token_lateness_seconds",
            "How late each token was written versus its deadline",
            buckets=buckets,
            sum_value=s.lateness_sum_ns / 1e9,
        )


def build_registry(stats: MockStats) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StatsCollector(stats))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
