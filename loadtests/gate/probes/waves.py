"""A wave of streams to one endpoint: the sending every probe shares.

Each stream carries the correlation marker (its request id and the upstream shape), so
the mock's ledger can be read per stream afterwards. Closed loop and bounded
(:func:`loadtests.load.runners.run_closed_loop`): ``concurrency`` streams at once,
``count`` in all, none longer than ``timeout_s``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ...client.endpoints import Endpoint
from ...client.marker import Shaping
from ...client.records import RequestRecord
from ...client.response_shapes import read_record
from ...client.stream_client import StopRule, stream_request
from ...client.tokens import StreamResult
from ...load.runners import RunResult, run_closed_loop

__all__ = ["Stream", "Wave", "send_wave"]


@dataclass(frozen=True, slots=True)
class Stream:
    """One stream: what the client recorded and what it read from it."""

    record: RequestRecord
    result: StreamResult

    @property
    def request_id(self) -> str:
        return self.record.request_id


@dataclass(frozen=True, slots=True)
class Wave:
    """The streams of one wave, in completion order, and the runner's own numbers."""

    streams: list[Stream]
    run: RunResult

    @property
    def loop_lag_p99_ms(self) -> float | None:
        p99 = self.run.loop_lag_ms.get("p99")
        return None if p99 is None else float(p99)


async def send_wave(
    endpoint: Endpoint,
    *,
    prefix: str,
    count: int,
    concurrency: int,
    shaping: Callable[[int], Shaping],
    timeout_s: float,
    stop: Callable[[int], StopRule | None] | None = None,
) -> Wave:
    """``count`` streams, ``concurrency`` at a time; stream ``i`` shaped by ``shaping(i)``.

    Request ids are ``<prefix>-<tag>-<i>`` (a fresh tag per wave); ``stop(i)`` may give
    stream ``i`` a rule to leave early.
    """
    tag = uuid.uuid4().hex[:8]

    async def send(index: int, intended_ns: int | None) -> RequestRecord:
        request_id = f"{prefix}-{tag}-{index}"
        shape = shaping(index)
        return await stream_request(
            endpoint.url,
            endpoint.body(request_id=request_id, shaping=shape, max_tokens=shape.tokens),
            request_id=request_id,
            scenario=prefix,
            headers=endpoint.headers(),
            timeout_s=timeout_s,
            intended_ns=intended_ns,
            stop=stop(index) if stop is not None else None,
        )

    run = await run_closed_loop(
        send, concurrency=concurrency, total=count, max_duration_s=timeout_s + 5.0
    )
    streams = [Stream(r, read_record(r, endpoint.response)) for r in run.records]
    return Wave(streams, run)
