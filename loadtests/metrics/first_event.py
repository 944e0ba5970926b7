"""Time to first event.

``time to first event = arrival of the read completing the first SSE event - request sent``

Any dispatched event counts, including role-only and empty chunks, usage chunks, errors
and ``[DONE]``. SSE comments (keep-alive pings) are not events.
"""

from __future__ import annotations

__all__ = ["time_to_first_event_ns"]


def time_to_first_event_ns(sent_ns: int, first_event_ns: int | None) -> int | None:
    """``first_event_ns - sent_ns``; ``None`` when no event was dispatched."""
    return None if first_event_ns is None else first_event_ns - sent_ns
