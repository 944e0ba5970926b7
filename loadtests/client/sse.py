"""Incremental parser for ``text/event-stream``, after the WHATWG HTML spec.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

The parser is fed raw socket reads as they arrive and returns the events each read
completed, so the caller can stamp every event with the arrival time of the read that
finished it. It never looks at a clock itself.

Rules implemented (each one has a test in ``tests/unit/client/test_sse.py``):

- Lines end with LF, CRLF or CR. A CR ending one read and an LF starting the next are
  one line end, so the parser remembers a trailing CR.
- One UTF-8 BOM at the very start of the stream is dropped (even if split across reads).
- UTF-8 is decoded only from complete lines, so a multi-byte character split across
  reads is fine; invalid bytes become U+FFFD, as in browsers.
- A line starting with ``:`` is a comment. ``name:value`` sets a field; one space after
  the colon is dropped. A line without a colon is a field name with an empty value.
- ``data`` lines are joined with ``\\n``; ``event`` sets the type (default ``message``);
  ``id`` sets the last event ID unless the value contains NUL, and that ID persists for
  later events; ``retry`` is used only when the value is all ASCII digits. Other fields
  are ignored.
- A blank line dispatches the event, unless the data buffer is empty: then nothing is
  dispatched and the event type is reset.
- An event not terminated by a blank line when the stream ends is never dispatched.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEEvent", "SSEParser"]

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event.

    ``id`` is the stream's last event ID when the event was dispatched (it persists
    across events, per spec; ``None`` until an ``id`` field is seen). ``retry`` is the
    reconnection time in ms given by a valid ``retry`` field inside this event's block,
    if any.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Feed it bytes, get back the events they complete.

    >>> p = SSEParser()
    >>> p.feed(b"data: a\\r")
    []
    >>> p.feed(b"\\n\\r\\n")
    [SSEEvent(data='a', event='message', id=None, retry=None)]
    """

    __slots__ = (
        "_bom_done",
        "_bom_head",
        "_data",
        "_event",
        "_last_id",
        "_partial",
        "_retry",
        "_skip_lf",
        "retry_ms",
    )

    def __init__(self) -> None:
        self._bom_done = False
        self._bom_head = b""
        # Bytes of the current unterminated line; never contains CR or LF.
        self._partial: list[bytes] = []
        self._skip_lf = False
        self._data: list[bytes] = []
        self._event = b""
        self._retry: int | None = None
        self._last_id: str | None = None
        #: Latest valid ``retry`` value seen on the stream (the reconnection time, ms).
        self.retry_ms: int | None = None

    @property
    def last_event_id(self) -> str | None:
        """The last event ID buffer (``None`` if no ``id`` field was seen)."""
        return self._last_id

    def feed(self, data: bytes) -> list[SSEEvent]:
        """Consume one read; return the events whose terminating blank line it held."""
        if not self._bom_done:
            data = self._bom_head + data
            if len(data) < len(_BOM) and _BOM.startswith(data):
                self._bom_head = data
                return []
            if data.startswith(_BOM):
                data = data[len(_BOM) :]
            self._bom_done = True
            self._bom_head = b""
        if self._skip_lf and data:
            self._skip_lf = False
            if data[0] == 0x0A:
                data = data[1:]
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0:
            if data:
                self._partial.append(data)
            return []
        if self._partial:
            self._partial.append(data[: end + 1])
            complete = b"".join(self._partial)
        else:
            complete = data[: end + 1]
        rest = data[end + 1 :]
        self._partial = [rest] if rest else []
        # A CR that is the last byte may be the first half of a CRLF split across reads.
        self._skip_lf = end == len(data) - 1 and data[end] == 0x0D
        # bytes.splitlines breaks on exactly LF, CRLF and CR (unlike str.splitlines).
        return self._lines(complete.splitlines())

    def _lines(self, lines: list[bytes]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    events.append(
                        SSEEvent(
                            b"\n".join(data).decode("utf-8", "replace"),
                            self._event.decode("utf-8", "replace") if self._event else "message",
                            self._last_id,
                            self._retry,
                        )
                    )
                    data.clear()
                self._event = b""
                self._retry = None
                continue
            colon = line.find(b":")
            if colon == 0:
                continue
            if colon < 0:
                name, value = line, b""
            else:
                name = line[:colon]
                start = colon + 2 if line.startswith(b" ", colon + 1) else colon + 1
                value = line[start:]
            if name == b"data":
                data.append(value)
            elif name == b"event":
                self._event = value
            elif name == b"id" and b"\x00" not in value:
                self._last_id = value.decode("utf-8", "replace")
            # bytes.isdigit is ASCII-only, which is what the spec asks for.
            elif name == b"retry" and value.isdigit():
                self._retry = self.retry_ms = int(value)
        return events
