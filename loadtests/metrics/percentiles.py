"""Percentiles and the standard summary.

Method: linear interpolation between closest ranks, NumPy's default (``method="linear"``,
Hyndman & Fan type 7). For sorted values ``x[0..n-1]`` and ``q`` in [0, 100]:

``h = (n - 1) * q / 100``, ``p = x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``

So p50 of ``[1, 2, 3, 4]`` is 2.5 and p0 / p100 are the min / max.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["SUMMARY_PERCENTILES", "percentile", "summarize"]

#: The percentiles :func:`summarize` reports, as ``(key, q)``.
SUMMARY_PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
)


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``; raises ``ValueError`` if empty."""
    return _sorted_percentile(sorted(values), q)


def _sorted_percentile(xs: Sequence[float], q: float) -> float:
    if not xs:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be in [0, 100], got {q}")
    h = (len(xs) - 1) * q / 100.0
    lo = math.floor(h)
    if lo + 1 >= len(xs):
        return float(xs[-1])
    return xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def summarize(values: Iterable[float]) -> dict[str, float | None]:
    """``count``, ``min``, ``mean``, ``p50``, ``p90``, ``p95``, ``p99``, ``max``.

    Everything but ``count`` is ``None`` for no values. Units are those of the input.
    """
    xs = sorted(values)
    out: dict[str, float | None] = {"count": len(xs)}
    out["min"] = xs[0] if xs else None
    out["mean"] = math.fsum(xs) / len(xs) if xs else None
    for key, q in SUMMARY_PERCENTILES:
        out[key] = _sorted_percentile(xs, q) if xs else None
    out["max"] = xs[-1] if xs else None
    return out
