"""``max_concurrent``: a planned stream starts now, waits in a queue, or is refused.

A queued stream's wait counts in its TTFT (its deadlines start when it is
admitted); ``when_full=reject`` refuses it at once and the server answers 429.
The batching model slows every newly admitted stream's gaps by
``itl_slowdown_per_stream`` for each other stream generating.
"""

from __future__ import annotations

import time
from collections import deque

from ..settings import MockSettings
from ..stats import MockStats
from .streams import TokenStream


class Admission:
    """The streams generating (``live``) and those waiting for a slot."""

    def __init__(self, settings: MockSettings, stats: MockStats) -> None:
        self._limit = settings.max_concurrent
        self._reject = settings.when_full == "reject"
        self._slowdown_per_stream = settings.itl_slowdown_per_stream
        self._stats = stats
        self._queue: deque[TokenStream] = deque()
        # Admitted streams, whose writes are folded into the stats on every read.
        self.live: set[TokenStream] = set()

    def _has_room(self) -> bool:
        return self._limit == 0 or self._stats.active_streams < self._limit

    def _slowdown(self) -> float:
        return 1.0 + self._slowdown_per_stream * max(0, self._stats.active_streams - 1)

    def _begin(self, stream: TokenStream, now_ns: int) -> None:
        self._stats.active_streams += 1
        self.live.add(stream)
        stream.begin(now_ns, self._slowdown())

    def admit(self, stream: TokenStream, now_ns: int) -> bool:
        """Begin or queue ``stream``; False when it is refused (full, ``when_full=reject``)."""
        if self._has_room():
            self._begin(stream, now_ns)
            return True
        if self._reject:
            return False
        self._queue.append(stream)
        self._stats.queued += 1
        return True

    def release(self, stream: TokenStream) -> None:
        """``stream`` finished: free its slot (or its queue place) and begin those waiting."""
        if stream.admitted:
            self._stats.active_streams -= 1
            self.live.discard(stream)
        else:
            self._stats.queued -= 1
            if stream in self._queue:
                self._queue.remove(stream)
        while self._queue and self._has_room():
            waiting = self._queue.popleft()
            self._stats.queued -= 1
            self._begin(waiting, time.monotonic_ns())
