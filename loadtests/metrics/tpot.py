"""Time per output token (after the first).

``TPOT = (last token arrival - first token arrival) / (output_tokens - 1)``

``output_tokens`` is the usage count when the server reported one, else the number of
content events. With multi-token chunks TPOT and mean ITL differ: TPOT divides by tokens,
ITL by event gaps.
"""

from __future__ import annotations

__all__ = ["tpot_ns"]


def tpot_ns(
    first_token_ns: int | None, last_token_ns: int | None, output_tokens: int
) -> float | None:
    """``None`` with fewer than 2 output tokens or no content event."""
    if first_token_ns is None or last_token_ns is None or output_tokens < 2:
        return None
    return (last_token_ns - first_token_ns) / (output_tokens - 1)
