"""What every response reader does: take timed reads, give a :class:`StreamResult`."""

from __future__ import annotations

import abc

from ..tokens import StreamResult

__all__ = ["StreamReader"]


class StreamReader(abc.ABC):
    """Incremental: :meth:`feed` each read as it arrives, :meth:`finish` once at the end.

    Feeding read by read gives the same result as feeding all reads at once, wherever
    the reads were split; a stop rule can look at :attr:`content_events` after each read.
    """

    @property
    @abc.abstractmethod
    def result(self) -> StreamResult:
        """The result so far (complete after :meth:`finish`)."""

    @abc.abstractmethod
    def feed(self, arrival_ns: int, data: bytes) -> None:
        """Consume one body read that arrived at ``arrival_ns``."""

    @abc.abstractmethod
    def finish(self, *, complete: bool) -> StreamResult:
        """End of body; ``complete``: the HTTP message ended normally (not cut, not left)."""

    @property
    def content_events(self) -> int:
        """Content events read so far."""
        return len(self.result.tokens)
