"""Per-token overhead: the service's inter-token latency over direct-to-mock's, same shape.

``ITL = content_event[i + 1].arrival - content_event[i].arrival`` (metrics contract 2:
events read in the same socket read share an arrival, a gap of 0), pooled over every
stream of a wave. Per percentile ``q`` in (50, 95):

``itl_pq_ratio = service ITL pq / direct-to-mock ITL pq``

measured in the same run with the same upstream shape, so machine load moves both. A
direct pq of 0 (every event merged) gives no ratio (``None``). Two waves: one stream at
a time (``single``: the work a service adds per token) and N at once (``concurrent``:
per-token work that blocks the event loop delays every other stream's next token).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...client.endpoints import Endpoint
from ...client.marker import Shaping
from ...metrics import itl_ns, percentile
from .waves import Stream, Wave, send_wave

__all__ = [
    "SINGLE_SHAPE",
    "itl_ms",
    "per_token_numbers",
    "ratio",
    "single_waves",
]

#: One stream at a time: 3 streams of 30 tokens 20 ms apart (87 gaps per target).
SINGLE_SHAPE = Shaping(ttft_ms=20.0, itl_ms=20.0, tokens=30)
SINGLE_STREAMS = 3


def itl_ms(streams: Sequence[Stream]) -> list[float]:
    """Every gap between consecutive content events of every stream, in ms (pure).

    Streams ``[10, 30, 35]`` and ``[0, 5]`` (ns x 1e6) -> ``[20.0, 5.0, 5.0]``.
    """
    return [g / 1e6 for s in streams for g in itl_ns(s.result.token_arrivals_ns)]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``; ``None`` if either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def _p(values: Sequence[float], q: float) -> float | None:
    return percentile(values, q) if values else None


def per_token_numbers(service_ms: Sequence[float], direct_ms: Sequence[float]) -> dict[str, Any]:
    """The ``PT`` dict of the contract from two pools of gaps (ms). Pure.

    Service ``[10, 12, 14]``, direct ``[10, 10, 10]`` -> p50 12 / 10 = 1.2.
    """
    s50, s95 = _p(service_ms, 50), _p(service_ms, 95)
    d50, d95 = _p(direct_ms, 50), _p(direct_ms, 95)
    return {
        "itl_p50_ms": _round(s50),
        "itl_p95_ms": _round(s95),
        "direct_itl_p50_ms": _round(d50),
        "direct_itl_p95_ms": _round(d95),
        "itl_p50_ratio": _round(ratio(s50, d50)),
        "itl_p95_ratio": _round(ratio(s95, d95)),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


async def single_waves(target: Endpoint, direct: Endpoint) -> tuple[Wave, Wave]:
    """:data:`SINGLE_STREAMS` streams one after the other, direct first, then the service."""
    waves = []
    for name, endpoint in (("direct", direct), ("service", target)):
        waves.append(
            await send_wave(
                endpoint,
                prefix=f"pt1-{name}",
                count=SINGLE_STREAMS,
                concurrency=1,
                shaping=lambda _i: SINGLE_SHAPE,
                timeout_s=15.0,
            )
        )
    return waves[0], waves[1]
