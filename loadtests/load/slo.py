"""The run-level service level objective a load test passes or fails.

Unlike goodput's per-request SLO (:mod:`loadtests.metrics.goodput`), this one judges a
whole run, or one step of a ramp, from aggregates:

- ``TTFT p95 <= ttft_p95_ms``
- ``ITL p95 <= itl_p95_ms``, ITL pooled over all gaps of all streams (``docs/metrics.md``);
  no ITL at all (one-token streams) passes
- ``failed streams / streams <= max_error_ratio``
- at least one stream completed, and TTFT was observed: silence is not success.

Defaults, in units of the embedded mock's default upstream (TTFT 100 ms, ITL 10 ms):
TTFT p95 500 ms, ITL p95 50 ms, 1 % errors. Flags of the Locust suite and of
``streamgauge capacity`` take their defaults from :class:`AggregateSLO`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AggregateSLO", "Observed", "violations"]


@dataclass(frozen=True, slots=True)
class AggregateSLO:
    """Upper bounds, inclusive."""

    ttft_p95_ms: float = 500.0
    itl_p95_ms: float = 50.0
    max_error_ratio: float = 0.01

    def __post_init__(self) -> None:
        if self.ttft_p95_ms <= 0 or self.itl_p95_ms <= 0:
            raise ValueError("SLO latencies must be > 0 ms")
        if not 0.0 <= self.max_error_ratio <= 1.0:
            raise ValueError(f"max_error_ratio must be in [0, 1], got {self.max_error_ratio}")


@dataclass(frozen=True, slots=True)
class Observed:
    """What a run (or a step) showed; ``None`` means not observed."""

    streams: int
    failed_streams: int
    ttft_p95_ms: float | None
    itl_p95_ms: float | None

    @property
    def error_ratio(self) -> float | None:
        return self.failed_streams / self.streams if self.streams else None


def violations(observed: Observed, slo: AggregateSLO) -> list[str]:
    """Why ``observed`` misses ``slo``; empty when it meets it.

    ``Observed(streams=10, failed_streams=0, ttft_p95_ms=600, itl_p95_ms=12)`` against
    the defaults -> ``["TTFT p95 600 ms > 500 ms"]``.
    """
    if observed.streams == 0:
        return ["no stream completed"]
    out: list[str] = []
    if observed.ttft_p95_ms is None:
        out.append("no TTFT observed")
    elif observed.ttft_p95_ms > slo.ttft_p95_ms:
        out.append(f"TTFT p95 {observed.ttft_p95_ms:g} ms > {slo.ttft_p95_ms:g} ms")
    if observed.itl_p95_ms is not None and observed.itl_p95_ms > slo.itl_p95_ms:
        out.append(f"ITL p95 {observed.itl_p95_ms:g} ms > {slo.itl_p95_ms:g} ms")
    ratio = observed.error_ratio
    if ratio is not None and ratio > slo.max_error_ratio:
        out.append(
            f"errors {observed.failed_streams}/{observed.streams} "
            f"({ratio:.1%}) > {slo.max_error_ratio:.1%}"
        )
    return out
