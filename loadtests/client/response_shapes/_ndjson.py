"""``ndjson`` bodies: one JSON object per line (Ollama's native ``/api/chat``, ...).

Lines end with LF or CRLF; blank lines are skipped; each other line is one event, at
the arrival of the read that completed it, and a last line without a line end is read
when the body ends. The text sits at the token field path; without one, at the first
present of :data:`DEFAULT_FIELDS`. ``{"error": ...}`` is an error; ``"done": true`` ends
the stream (later lines are ignored) and its ``eval_count`` is the usage count, as is
``usage.completion_tokens``. A line that is not a JSON object counts in ``malformed``.
"""

from __future__ import annotations

import json

from ..token_field import TokenPath, lookup, parse_token_field
from ..tokens import StreamResult, TokenEvent, count_event, set_error, usage_completion_tokens
from ._reader import StreamReader

__all__ = ["DEFAULT_FIELDS", "NDJSONReader"]

#: Ollama chat, Ollama generate, our own token events.
DEFAULT_FIELDS: tuple[str, ...] = ("message.content", "response", "token")


class NDJSONReader(StreamReader):
    def __init__(self, token_field: str | None = None, *, detected: str | None = None) -> None:
        names = (token_field,) if token_field is not None else DEFAULT_FIELDS
        self._paths: list[tuple[str, TokenPath]] = [(n, parse_token_field(n)) for n in names]
        self._partial: list[bytes] = []
        self._ended = False
        self._last_ns: int | None = None
        self._result = StreamResult(format="ndjson", token_field=token_field, detected=detected)

    @property
    def result(self) -> StreamResult:
        return self._result

    def feed(self, arrival_ns: int, data: bytes) -> None:
        self._last_ns = arrival_ns
        end = data.rfind(b"\n")
        if end < 0:
            if data:
                self._partial.append(data)
            return
        self._partial.append(data[:end])
        complete = b"".join(self._partial)
        rest = data[end + 1 :]
        self._partial = [rest] if rest else []
        for line in complete.split(b"\n"):
            self._line(arrival_ns, line)

    def finish(self, *, complete: bool) -> StreamResult:
        if self._partial and self._last_ns is not None:
            self._line(self._last_ns, b"".join(self._partial))
            self._partial = []
        if complete:
            self._result.done = True
        return self._result

    def _line(self, arrival_ns: int, raw: bytes) -> None:
        line = raw.strip()
        if not line or self._ended:
            return
        result = self._result
        count_event(result, arrival_ns)
        try:
            obj: object = json.loads(line.decode("utf-8", "replace"))
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            result.malformed += 1
            return
        if obj.get("error") is not None:
            set_error(result, obj["error"])
            return
        done = obj.get("done") is True
        usage = _usage(obj, done=done)
        if usage is not None:
            result.usage_completion_tokens = usage
        if not self._content(arrival_ns, obj) and not done and usage is None:
            result.unrecognized += 1
        if done:
            result.done = True
            result.terminator_seen = True
            self._ended = True

    def _content(self, arrival_ns: int, obj: dict[str, object]) -> bool:
        """Take the text at the first token path present; ``False`` if none is."""
        result = self._result
        for name, path in self._paths:
            found, text = lookup(obj, path)
            if not found:
                continue
            if isinstance(text, str) and text:
                result.tokens.append(TokenEvent(arrival_ns, text))
                if result.token_field is None:
                    result.token_field = name
            return True
        return False


def _usage(obj: dict[str, object], *, done: bool) -> int | None:
    """``usage.completion_tokens``, else Ollama's ``eval_count`` on the ``done`` line."""
    usage = usage_completion_tokens(obj)
    eval_count = obj.get("eval_count")
    # bool is an int subclass; a count is never a bool.
    if usage is None and done and isinstance(eval_count, int) and not isinstance(eval_count, bool):
        return eval_count
    return usage
