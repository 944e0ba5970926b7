"""Bringing the records of streams in flight up to date for a reader, a slice per loop turn.

Streams stamp their writes and account them later (:meth:`TokenStream.fold`).
A reader of the stats or the ledger must see every write so far, so the live
streams are folded before it is answered. Folding a thousand streams at once
costs 3-7 ms (more under load), a stall of every stream on every ``/metrics``
scrape; so the reader waits a few loop turns instead. Streams that end
meanwhile fold themselves; streams that start later have nothing the reader
asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scheduler import TimerWheel
    from .streams import TokenStream

FOLD_SLICE = 100
"""Streams folded per loop turn when a reader asks, while no timer slot is due."""
FOLD_MIN = 10
"""Streams folded per loop turn when a reader asks, even when a slot is due."""


def fold_then(
    streams: Sequence[TokenStream], scheduler: TimerWheel | None, then: Callable[[], None]
) -> None:
    """Fold every stream of ``streams``, yielding to the wheel between slices; then ``then()``."""
    _fold_slice(streams, 0, scheduler, then)


def _fold_slice(
    streams: Sequence[TokenStream],
    start: int,
    scheduler: TimerWheel | None,
    then: Callable[[], None],
) -> None:
    # A function rescheduled with its arguments, not a closure that schedules
    # itself: that closure would be a reference cycle holding every live
    # stream, and the cyclic GC is off.
    # Up to FOLD_SLICE streams while no timer slot is due, at least FOLD_MIN:
    # at 1000 streams a slice costs 0.9-1.5 ms, and slices that ignored due
    # slots held tokens up to 3 ms late (CHANGELOG.md, "folds that yield").
    # FOLD_MIN keeps a mock that is always behind answering its readers.
    end = min(start + FOLD_SLICE, len(streams))
    floor = min(start + FOLD_MIN, end)
    while start < end and (start < floor or scheduler is None or not scheduler.behind()):
        streams[start].fold()
        start += 1
    if start < len(streams):
        asyncio.get_running_loop().call_soon(_fold_slice, streams, start, scheduler, then)
    else:
        then()
