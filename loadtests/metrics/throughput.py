"""Per-request output throughput.

``output tokens/s = output_tokens / (E2E / 1e9)``

E2E includes TTFT, so this is the rate the caller experienced, not the decode rate
(that is ``1e9 / TPOT``).
"""

from __future__ import annotations

__all__ = ["output_tokens_per_s"]

_NS_PER_S = 1_000_000_000


def output_tokens_per_s(output_tokens: int, e2e_ns: int | None) -> float | None:
    """``None`` when E2E is unknown or not positive."""
    if e2e_ns is None or e2e_ns <= 0:
        return None
    return output_tokens * _NS_PER_S / e2e_ns
