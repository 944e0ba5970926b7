"""Goodput: the requests that met the service level objective.

A request meets the SLO when all hold:

- it has no error (transport error, non-2xx status, error event, or missing ``[DONE]``;
  see :func:`loadtests.metrics.request.request_error`),
- ``TTFT <= slo.ttft_ns`` (a request without content has no TTFT and fails),
- ``mean ITL <= slo.itl_ns`` (vacuously true with fewer than 2 content events).

``goodput fraction = met / total``; ``goodput rate = met / run duration``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["SLO", "Goodput", "SLOSubject", "goodput", "meets_slo"]

_NS_PER_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class SLO:
    """Upper bounds, inclusive, in nanoseconds."""

    ttft_ns: int
    itl_ns: int


class SLOSubject(Protocol):
    """What goodput needs from a request (:class:`RequestMetrics` has it)."""

    @property
    def ttft_ns(self) -> int | None: ...
    @property
    def mean_itl_ns(self) -> float | None: ...
    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Goodput:
    """``met`` of ``total`` requests met the SLO."""

    met: int
    total: int

    @property
    def fraction(self) -> float | None:
        """``met / total``; ``None`` for no requests."""
        return self.met / self.total if self.total else None

    def per_s(self, duration_ns: int) -> float:
        """Requests meeting the SLO per second of a run lasting ``duration_ns``."""
        if duration_ns <= 0:
            raise ValueError(f"duration must be positive, got {duration_ns} ns")
        return self.met * _NS_PER_S / duration_ns


def meets_slo(request: SLOSubject, slo: SLO) -> bool:
    """True when the request has no error and its TTFT and mean ITL are within ``slo``."""
    if request.error is not None or request.ttft_ns is None:
        return False
    if request.ttft_ns > slo.ttft_ns:
        return False
    return request.mean_itl_ns is None or request.mean_itl_ns <= slo.itl_ns


def goodput(requests: Iterable[SLOSubject], slo: SLO) -> Goodput:
    """Count the requests meeting ``slo``."""
    met = total = 0
    for request in requests:
        total += 1
        met += meets_slo(request, slo)
    return Goodput(met=met, total=total)
