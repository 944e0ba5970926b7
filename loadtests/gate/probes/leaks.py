"""Leaks: the service's memory and connections over two identical rounds of load.

After a warm-up round and after each of two identical rounds of :data:`ROUND_STREAMS`
streams (every 4th leaves after 2 tokens of a 2 s stream), once the mock is quiet:
the service's RSS and its open TCP connections (psutil, the service's pid). Growth is
from round 1 to round 2 (pure, :func:`leak_numbers`):

``rss_growth_mb = (RSS after round 2 - RSS after round 1) / 2**20``
``open_connections_growth = connections after round 2 - connections after round 1``

The warm-up round fills pools and caches, so a service that holds nothing per request
grows by about 0 between the rounds; one that keeps each reply grows by what it kept.
``upstream_open_after_clients_left``: responses the mock is still serving
:data:`SETTLE_S` after the last client of round 2 left (``active_streams + queued``): a
service that kept relaying for users who left. Idle keep-alive connections (the
service's connection pool) are reported apart, as ``upstream_idle_connections``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ...client.endpoints import Endpoint
from ...client.leaving import ContentCounter
from ...client.marker import Shaping
from ...client.stream_client import StopRule
from ...scenarios.suite import wait_until_quiet
from ...systems import service_usage
from .waves import send_wave

__all__ = ["LeakSample", "leak_numbers", "run_leaks", "upstream_open"]

ROUND_STREAMS = 200
CONCURRENCY = 50
SETTLE_S = 0.5
LEAVE_EVERY = 4
LEAVE_AFTER_TOKENS = 2
_STREAM = Shaping(ttft_ms=10.0, itl_ms=5.0, tokens=20)
_LEAVER = Shaping(ttft_ms=10.0, itl_ms=20.0, tokens=100)


@dataclass(frozen=True, slots=True)
class LeakSample:
    """The service after one round: RSS (bytes) and open TCP connections."""

    rss_bytes: int | None
    connections: int | None


def _growth(first: int | None, second: int | None) -> int | None:
    return None if first is None or second is None else second - first


def leak_numbers(
    samples: Sequence[LeakSample], upstream_open_after: int | None, upstream_idle: int | None
) -> dict[str, Any]:
    """The contract's ``leaks`` dict from the warm-up, round 1 and round 2 samples. Pure.

    RSS 100, 110, 131 MiB -> ``rss_growth_mb`` 21.0 (round 1 to 2; the warm-up is not
    growth).
    """
    if len(samples) < 3:
        rss = conns = None
    else:
        rss = _growth(samples[1].rss_bytes, samples[2].rss_bytes)
        conns = _growth(samples[1].connections, samples[2].connections)
    return {
        "rss_growth_mb": None if rss is None else round(rss / 2**20, 2),
        "open_connections_growth": conns,
        "upstream_open_after_clients_left": upstream_open_after,
        "upstream_idle_connections": upstream_idle,
        "rss_mb": [None if s.rss_bytes is None else round(s.rss_bytes / 2**20, 1) for s in samples],
        "open_connections": [s.connections for s in samples],
    }


def upstream_open(stats: dict[str, Any]) -> tuple[int | None, int | None]:
    """``(responses in flight, idle connections)`` from the mock's ``/mock/stats``. Pure."""
    active, queued = stats.get("active_streams"), stats.get("queued")
    if not isinstance(active, int):
        return None, None
    busy = active + (queued if isinstance(queued, int) else 0)
    open_ = stats.get("open_connections")
    idle = max(0, open_ - busy) if isinstance(open_, int) else None
    return busy, idle


def _sample(pid: int | None) -> LeakSample:
    if pid is None:
        return LeakSample(None, None)
    usage = service_usage.sample(pid)
    return LeakSample(
        None if usage is None else usage.rss_bytes, service_usage.open_connections(pid)
    )


def _leave(index: int, target: Endpoint) -> StopRule | None:
    if index % LEAVE_EVERY:
        return None
    counter = ContentCounter(target.response)
    return lambda record: counter(record) >= LEAVE_AFTER_TOKENS


async def _round(target: Endpoint, name: str) -> None:
    def leaving(i: int) -> StopRule | None:
        return _leave(i, target)

    await send_wave(
        target,
        prefix=f"leaks-{name}",
        count=ROUND_STREAMS,
        concurrency=CONCURRENCY,
        shaping=lambda i: _LEAVER if i % LEAVE_EVERY == 0 else _STREAM,
        timeout_s=15.0,
        stop=leaving,
    )


async def _mock_stats(mock_url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            stats = (await client.get(f"{mock_url}/mock/stats")).json()
    except (httpx.HTTPError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


async def run_leaks(target: Endpoint, mock_url: str, service_pid: int | None) -> dict[str, Any]:
    """Warm-up, round 1, round 2; the samples after each, the mock after the last."""
    samples = []
    busy = idle = None
    for name in ("warm", "round1", "round2"):
        await _round(target, name)
        if name == "round2":
            await asyncio.sleep(SETTLE_S)
            busy, idle = upstream_open(await _mock_stats(mock_url))
        await wait_until_quiet(mock_url, timeout_s=10.0)
        samples.append(_sample(service_pid))
    return leak_numbers(samples, busy, idle)
