"""End-to-end latency.

``E2E = last event arrival - request sent``, or ``closed - sent`` when no event arrived
(a stream that failed before its first event still took time).
"""

from __future__ import annotations

__all__ = ["e2e_ns"]


def e2e_ns(sent_ns: int, last_event_ns: int | None, closed_ns: int | None) -> int | None:
    """``None`` when there was neither an event nor a close time."""
    end_ns = last_event_ns if last_event_ns is not None else closed_ns
    return None if end_ns is None else end_ns - sent_ns
