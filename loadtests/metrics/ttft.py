"""Time to first token.

``TTFT = arrival of the first content event - request sent``

A content event has non-empty text (:mod:`loadtests.client.tokens`): role-only chunks and
empty-string content are not the first token.
"""

from __future__ import annotations

__all__ = ["ttft_ns"]


def ttft_ns(sent_ns: int, first_token_ns: int | None) -> int | None:
    """``first_token_ns - sent_ns``; ``None`` when the stream had no content."""
    return None if first_token_ns is None else first_token_ns - sent_ns
