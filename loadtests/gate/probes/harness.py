"""The harness's own control: its event-loop lag and the direct-to-mock streams.

Only these make a measurement untrustworthy (exit 2); a service that fails is numbers.
Pure (:func:`harness_numbers`):

- ``client_loop_lag_p99_ms``: the worst p99 of the client's own loop lag over the
  probes' waves (a sleep loop in the load generator, :mod:`loadtests.client.loop_lag`);
  over :data:`LAG_P99_MS` the client itself was saturated;
- ``direct_ok``: every stream sent straight to the mock ended with ``[DONE]``, without
  an error, with HTTP 200 and as many content events as it was shaped to carry. The
  mock and the client are the harness: when they fail, nothing else can be read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .waves import Stream

__all__ = ["LAG_P99_MS", "direct_failure", "harness_numbers"]

#: As the runners' own threshold (loadtests/load/runners.py).
LAG_P99_MS = 10.0


def direct_failure(stream: Stream, tokens: int) -> str | None:
    """Why one direct-to-mock stream is not what the mock was asked for, or ``None``. Pure."""
    record, result = stream.record, stream.result
    if record.error is not None:
        return f"{record.request_id}: {record.error}"
    if record.status != 200:
        return f"{record.request_id}: HTTP {record.status}"
    if result.error is not None:
        return f"{record.request_id}: error {result.error}"
    if not result.terminator_seen:
        return f"{record.request_id}: no [DONE]"
    if len(result.tokens) != tokens:
        return f"{record.request_id}: {len(result.tokens)} content events, not {tokens}"
    return None


def harness_numbers(
    lag_p99s_ms: Mapping[str, float | None], direct: Sequence[tuple[Stream, int]]
) -> tuple[dict[str, Any], list[str]]:
    """``(harness dict, invalid reasons)`` from each wave's lag p99 (by name) and the
    direct streams, each paired with the tokens it was shaped to carry."""
    lags = {name: lag for name, lag in lag_p99s_ms.items() if lag is not None}
    worst_wave = max(lags, key=lags.__getitem__) if lags else None
    worst = lags[worst_wave] if worst_wave is not None else None
    failures = [f for s, n in direct if (f := direct_failure(s, n)) is not None]
    invalid = []
    if worst is not None and worst > LAG_P99_MS:
        invalid.append(
            f"load generator event-loop lag p99 {worst:.1f} ms > {LAG_P99_MS:g} ms "
            f"({worst_wave}): the client was saturated, its timings would be its own"
        )
    if failures:
        invalid.append(
            f"{len(failures)} of {len(direct)} direct-to-mock streams failed "
            f"(first: {failures[0]}): the harness's own control is broken"
        )
    numbers = {
        "client_loop_lag_p99_ms": None if worst is None else round(worst, 2),
        "direct_ok": bool(direct) and not failures,
    }
    return numbers, invalid
