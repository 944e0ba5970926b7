"""Merged arrivals: how many reads carried the content events (proxy buffering).

Events completed by the same socket read share its arrival time. A stream relayed event
by event has about one content event per read; a buffering proxy delivers many events per
read (nginx with ``proxy_buffering on`` and an HTTP/1.0 upstream: all 50 events in one
read after ~1 s, or one read per 4 KB buffer).

- ``n_arrivals`` = number of distinct arrival times among content events
- ``events_per_arrival`` = ``n_events / n_arrivals``
- ``max_events_per_arrival`` = the most content events one read delivered
- ``max_gap_ns`` = largest gap between consecutive distinct arrivals (``None`` below 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby, pairwise

__all__ = ["MergedArrivals", "merged_arrivals"]


@dataclass(frozen=True, slots=True)
class MergedArrivals:
    """Summary of how content events were grouped into reads."""

    n_events: int
    n_arrivals: int
    max_events_per_arrival: int
    max_gap_ns: int | None

    @property
    def events_per_arrival(self) -> float | None:
        """``n_events / n_arrivals``; ``None`` with no events."""
        return self.n_events / self.n_arrivals if self.n_arrivals else None


def merged_arrivals(arrivals_ns: Sequence[int]) -> MergedArrivals:
    """Group content event arrival times (in arrival order) by read."""
    groups = [(t, sum(1 for _ in g)) for t, g in groupby(arrivals_ns)]
    distinct = [t for t, _ in groups]
    return MergedArrivals(
        n_events=len(arrivals_ns),
        n_arrivals=len(distinct),
        max_events_per_arrival=max((n for _, n in groups), default=0),
        max_gap_ns=max((b - a for a, b in pairwise(distinct)), default=None),
    )
