"""What the mock upstream saw of a capacity run: the proof the streams reached it.

Read from ``GET /mock/stats`` before and after the ramp: the difference in
``markers_seen`` (requests whose prompt carried the harness's ``[sg:...]`` marker) and
in ``tokens_generated``. A service that drops the prompt on the way shows as no marker
seen; one the mock never heard from, as no token generated either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..scenarios.judgement import NOT_FORWARDED

__all__ = ["mock_counters", "upstream_line", "upstream_summary"]

_COUNTERS = ("markers_seen", "tokens_generated")


def mock_counters(mock_url: str) -> dict[str, int] | None:
    """The mock's cumulative counters now; ``None`` if it does not answer with them."""
    try:
        stats = httpx.get(f"{mock_url}/mock/stats", timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return None
    if not isinstance(stats, dict) or not all(isinstance(stats.get(k), int) for k in _COUNTERS):
        return None
    return {k: stats[k] for k in _COUNTERS}


def upstream_summary(
    mock_url: str,
    before: Mapping[str, int] | None,
    after: Mapping[str, int] | None,
    streams_sent: int | None,
) -> dict[str, Any]:
    """The run's share of the counters; ``None`` counts when either reading is missing."""
    seen: dict[str, int | None] = dict.fromkeys(_COUNTERS)
    if before is not None and after is not None:
        seen = {k: after[k] - before[k] for k in _COUNTERS}
    return {
        "mock": mock_url,
        "streams_sent": streams_sent,
        "marked_requests_seen": seen["markers_seen"],
        "tokens_generated": seen["tokens_generated"],
    }


def upstream_line(summary: Mapping[str, Any]) -> str:
    """One sentence on what reached the mock (pure)."""
    marked, tokens = summary["marked_requests_seen"], summary["tokens_generated"]
    if marked is None:
        return f"upstream: not measurable (the mock at {summary['mock']} gave no /mock/stats)"
    if marked == 0 and not tokens:
        return f"upstream: {NOT_FORWARDED}"
    if marked == 0:
        return (
            f"upstream: the mock generated {tokens} tokens but saw none of this run's "
            "prompt markers: your service does not forward the prompt"
        )
    sent = summary["streams_sent"]
    of = f" of {sent} streams sent" if sent is not None else ""
    return f"upstream: the mock saw {marked} marked requests{of}, generated {tokens} tokens"
