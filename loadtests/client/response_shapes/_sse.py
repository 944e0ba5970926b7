"""SSE bodies: ``sse-json`` (a token field path) and the OpenAI chunk shapes.

With no shape given (``auto`` on a ``text/event-stream``), the first JSON data object
that says what it is decides: ``choices`` -> OpenAI (chat when ``choices[0]`` has
``delta``, completions when it has ``text``), else the first of :data:`CANDIDATE_FIELDS`
holding a string -> ``sse-json`` with that path. Events before it wait and are then
read with the decision (same arrival times). After :data:`MAX_UNDECIDED` undecided
events, or at the end, it is ``sse-json`` with ``token``.
"""

from __future__ import annotations

import json

from ..sse import SSEEvent, SSEParser
from ..token_field import TokenPath, lookup, parse_token_field
from ..tokens import StreamFormat, StreamResult, classify_event
from ._reader import StreamReader

__all__ = ["CANDIDATE_FIELDS", "MAX_UNDECIDED", "SSEReader", "decide_sse"]

CANDIDATE_FIELDS: tuple[str, ...] = (
    "token",
    "text",
    "content",
    "delta.content",
    "delta.text",
    "message.content",
    "response",
)
MAX_UNDECIDED = 16
_DEFAULT = "token"


def decide_sse(  # noqa: PLR0911 - one return per rule of the module doc, in order
    obj: object, token_field: str | None
) -> tuple[StreamFormat, str, str] | None:
    """``(format, token field, why)`` from one event's JSON data, or ``None``: undecided."""
    if not isinstance(obj, dict):
        return None
    if token_field is not None:
        return "sse-json", token_field, f"--token-field {token_field}"
    choices = obj.get("choices")
    if isinstance(choices, list):
        first = choices[0] if choices else None
        if isinstance(first, dict) and "text" in first and "delta" not in first:
            return "openai-completions", _DEFAULT, "first data object has choices[0].text"
        return "openai-chat", _DEFAULT, "first data object has choices"
    if obj.get("error") is not None:
        return "sse-json", _DEFAULT, "first data object is an error"
    for candidate in CANDIDATE_FIELDS:
        found, value = lookup(obj, parse_token_field(candidate))
        if found and isinstance(value, str):
            return "sse-json", candidate, f"first data object has {candidate!r}"
    return None


class SSEReader(StreamReader):
    """``fmt=None`` decides from the data (see the module doc)."""

    def __init__(
        self,
        fmt: StreamFormat | None,
        token_field: str | None = None,
        *,
        detected: str | None = None,
    ) -> None:
        self._parser = SSEParser()
        self._fmt = fmt
        self._field = token_field
        self._detected = detected
        self._pending: list[tuple[int, SSEEvent]] = []
        self._path: TokenPath = parse_token_field(token_field or _DEFAULT)
        self._result = StreamResult(format=fmt or "sse-json", detected=detected)
        if fmt is not None:
            self._settle(fmt, token_field or _DEFAULT, None)

    @property
    def result(self) -> StreamResult:
        return self._result

    def feed(self, arrival_ns: int, data: bytes) -> None:
        for event in self._parser.feed(data):
            self._event(arrival_ns, event)

    def finish(self, *, complete: bool) -> StreamResult:
        if self._fmt is None:
            self._settle("sse-json", self._field or _DEFAULT, "no data object said more")
        if complete and self._result.format == "sse-json":
            self._result.done = True
        return self._result

    def _event(self, arrival_ns: int, event: SSEEvent) -> None:
        if self._fmt is None:
            decision = decide_sse(_json(event.data), self._field)
            if decision is not None:
                self._settle(*decision)
            elif len(self._pending) + 1 < MAX_UNDECIDED:
                self._pending.append((arrival_ns, event))
                return
            else:
                self._settle("sse-json", _DEFAULT, f"{MAX_UNDECIDED} events said nothing more")
        classify_event(self._result, arrival_ns, event, self._path)

    def _settle(self, fmt: StreamFormat, token_field: str, why: str | None) -> None:
        self._fmt = fmt
        self._path = parse_token_field(token_field)
        self._result.format = fmt
        if fmt == "sse-json":
            self._result.token_field = token_field
        if why is not None:
            label = fmt if fmt != "sse-json" else f"sse-json ({token_field})"
            prefix = f"{self._detected}; " if self._detected else ""
            self._result.detected = f"{prefix}{why} -> {label}"
        pending, self._pending = self._pending, []
        for arrival_ns, event in pending:
            classify_event(self._result, arrival_ns, event, self._path)


def _json(data: str) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return None
