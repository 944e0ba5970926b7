"""Load: N concurrent streams through the service and straight to the mock, same shape.

Per wave (pure, :func:`load_numbers`):

- ``ttft_p50_ratio = service TTFT p50 / direct TTFT p50`` (TTFT = first content event
  - request sent);
- ``tokens_per_s = sum(output tokens) / (last stream closed - first stream sent)``,
  for the service and for direct-to-mock, and ``tokens_per_s_ratio`` = service / direct
  (1.0: the service relays as fast as the upstream generates);
- ``cpu_us_per_token = service CPU seconds during its wave x 1e6 / tokens it relayed``,
  only with the service's pid (``None`` otherwise, never 0).

The same waves give :mod:`.per_token`'s ``concurrent`` numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...client.endpoints import Endpoint
from ...client.marker import Shaping
from ...metrics import percentile
from ...systems import service_usage
from .per_token import ratio
from .waves import Stream, Wave, send_wave

__all__ = ["LOAD_SHAPE", "STREAMS", "LoadWaves", "load_numbers", "load_waves", "tokens_per_s"]

#: Concurrent streams (the contract's N).
STREAMS = 50
#: 40 tokens 50 ms apart: 50 streams are 1000 tokens/s, half a core for an SDK-based
#: service (~0.4 ms CPU a relayed token), so the wave measures overhead, not capacity.
LOAD_SHAPE = Shaping(ttft_ms=50.0, itl_ms=50.0, tokens=40)
_WARM_SHAPE = Shaping(ttft_ms=5.0, itl_ms=5.0, tokens=3)


def tokens_per_s(streams: Sequence[Stream]) -> float | None:
    """Output tokens of every stream over the wave's span, first send to last close. Pure.

    Two streams sent at 0 and 1e9 ns, closed at 2e9 and 3e9, 30 tokens each -> 20.0.
    """
    spans = [(s.record.sent_ns, s.record.closed_ns) for s in streams if s.record.closed_ns]
    if not spans:
        return None
    span_ns = max(c for _, c in spans) - min(a for a, _ in spans)
    tokens = sum(s.result.output_tokens for s in streams)
    return tokens * 1e9 / span_ns if span_ns > 0 else None


def ttft_p50_ms(streams: Sequence[Stream]) -> float | None:
    """Median of ``first content event - sent`` over the streams that had one (ms). Pure."""
    ttfts = [
        (s.result.first_token_ns - s.record.sent_ns) / 1e6
        for s in streams
        if s.result.first_token_ns is not None
    ]
    return percentile(ttfts, 50) if ttfts else None


def load_numbers(
    service: Sequence[Stream],
    direct: Sequence[Stream],
    *,
    cpu_us_per_token: float | None,
    streams: int = STREAMS,
) -> dict[str, Any]:
    """The contract's ``load`` dict from the two waves. Pure."""
    s_tps, d_tps = tokens_per_s(service), tokens_per_s(direct)
    s_ttft, d_ttft = ttft_p50_ms(service), ttft_p50_ms(direct)
    tps_ratio = ratio(s_tps, d_tps)
    ttft_ratio = ratio(s_ttft, d_ttft)
    return {
        "streams": streams,
        "ttft_p50_ms": None if s_ttft is None else round(s_ttft, 2),
        "direct_ttft_p50_ms": None if d_ttft is None else round(d_ttft, 2),
        "ttft_p50_ratio": None if ttft_ratio is None else round(ttft_ratio, 3),
        "tokens_per_s": None if s_tps is None else round(s_tps, 1),
        "direct_tokens_per_s": None if d_tps is None else round(d_tps, 1),
        "tokens_per_s_ratio": None if tps_ratio is None else round(tps_ratio, 3),
        "cpu_us_per_token": cpu_us_per_token,
    }


@dataclass(frozen=True, slots=True)
class LoadWaves:
    """The direct and service waves, and the service's CPU per relayed token."""

    direct: Wave
    service: Wave
    cpu_us_per_token: float | None


async def load_waves(
    target: Endpoint, direct: Endpoint, service_pid: int | None, streams: int = STREAMS
) -> LoadWaves:
    """Warm the service's upstream pool to N, then the direct wave, then the service's."""
    await send_wave(
        target,
        prefix="load-warm",
        count=streams,
        concurrency=streams,
        shaping=lambda _i: _WARM_SHAPE,
        timeout_s=15.0,
    )
    direct_wave = await send_wave(
        direct,
        prefix="load-direct",
        count=streams,
        concurrency=streams,
        shaping=lambda _i: LOAD_SHAPE,
        timeout_s=20.0,
    )
    before = service_usage.sample(service_pid) if service_pid else None
    service_wave = await send_wave(
        target,
        prefix="load-service",
        count=streams,
        concurrency=streams,
        shaping=lambda _i: LOAD_SHAPE,
        timeout_s=20.0,
    )
    after = service_usage.sample(service_pid) if service_pid else None
    relayed = sum(s.result.output_tokens for s in service_wave.streams)
    cpu = service_usage.usage_numbers(before, after, relayed)["cpu_us_per_token"]
    return LoadWaves(direct_wave, service_wave, None if cpu is None else float(cpu))
