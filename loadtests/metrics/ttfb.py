"""Time to first byte.

``TTFB = first body read arrival - request sent``

The first read is ``RequestRecord.reads[0]``; response headers are not body bytes. A
buffering proxy shows up here: TTFB close to E2E.
"""

from __future__ import annotations

__all__ = ["ttfb_ns"]


def ttfb_ns(sent_ns: int, first_byte_ns: int | None) -> int | None:
    """``first_byte_ns - sent_ns``; ``None`` when no body byte arrived."""
    return None if first_byte_ns is None else first_byte_ns - sent_ns
