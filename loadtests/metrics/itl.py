"""Inter-token latency.

``ITL[i] = content_event[i + 1].arrival - content_event[i].arrival``

Gaps are between content events, not tokens: a chunk carrying several tokens is one
event, its tokens all arrive at its arrival time. Events completed by the same read share
an arrival time, so their gap is 0 (see :mod:`loadtests.metrics.arrivals`).

``mean ITL = mean(ITL) = (last arrival - first arrival) / (content events - 1)``
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

__all__ = ["itl_ns", "mean_itl_ns"]


def itl_ns(arrivals_ns: Sequence[int]) -> list[int]:
    """Gaps between consecutive content event arrivals (``n - 1`` values)."""
    return [b - a for a, b in pairwise(arrivals_ns)]


def mean_itl_ns(arrivals_ns: Sequence[int]) -> float | None:
    """Per-request mean gap; ``None`` with fewer than 2 content events."""
    if len(arrivals_ns) < 2:
        return None
    return (arrivals_ns[-1] - arrivals_ns[0]) / (len(arrivals_ns) - 1)
