"""``text`` bodies: any non-SSE body (``text/plain`` raw tokens) read as it arrives.

Each read that decodes to non-empty text is one event and one content event at its
arrival time. UTF-8 is decoded incrementally: a character split across reads belongs to
the read that completed it; bytes left undecodable at the end join the last content
event as U+FFFD. The wire shows no token boundaries, so ``output_tokens`` counts
whitespace words (``counting="words"``). With no in-band end marker, a complete HTTP
message sets ``terminator_seen`` as well as ``done``. A body that is, as a whole, a JSON
object with ``error`` is an error (an error answer read as text).
"""

from __future__ import annotations

import codecs
import json

from ..tokens import StreamResult, TokenEvent, count_event, set_error
from ._reader import StreamReader

__all__ = ["TextReader"]

#: Longest body checked for being a JSON error object.
_MAX_ERROR_BODY = 65_536


class TextReader(StreamReader):
    def __init__(self, *, detected: str | None = None) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._result = StreamResult(format="text", counting="words", detected=detected)
        self._last_ns: int | None = None

    @property
    def result(self) -> StreamResult:
        return self._result

    def feed(self, arrival_ns: int, data: bytes) -> None:
        self._last_ns = arrival_ns
        self._add(arrival_ns, self._decoder.decode(data))

    def finish(self, *, complete: bool) -> StreamResult:
        tail = self._decoder.decode(b"", final=True)
        result = self._result
        if tail and self._last_ns is not None:
            if result.tokens:
                last = result.tokens.pop()
                result.tokens.append(TokenEvent(last.arrival_ns, last.text + tail))
            else:
                self._add(self._last_ns, tail)
        text = result.text
        if text.lstrip().startswith("{") and len(text) <= _MAX_ERROR_BODY:
            try:
                obj: object = json.loads(text)
            except ValueError:
                obj = None
            if isinstance(obj, dict) and obj.get("error") is not None:
                set_error(result, obj["error"])
        if complete:
            # Text has no in-band end marker: the HTTP message's own end is its terminator.
            result.done = True
            result.terminator_seen = True
        return result

    def _add(self, arrival_ns: int, text: str) -> None:
        if not text:
            return
        count_event(self._result, arrival_ns)
        self._result.tokens.append(TokenEvent(arrival_ns, text))
