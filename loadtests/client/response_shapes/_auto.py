"""``auto``: decide a body's shape from its Content-Type and first bytes.

Rules, in order (:func:`decide_framing`; the media type is compared without parameters,
case-insensitively):

1. ``text/event-stream`` -> SSE; then the first JSON data object decides between the
   OpenAI chunk shapes and ``sse-json`` with a token field (:mod:`._sse`).
2. ``application/x-ndjson``, ``application/ndjson``, ``application/jsonl``,
   ``application/x-jsonlines``, ``application/jsonlines`` -> ``ndjson``.
3. Any other ``text/*`` (``text/plain``, ...) -> ``text``: the service said so.
4. Otherwise (no Content-Type, ``application/json``, ``application/octet-stream``, ...)
   the first body bytes (after a BOM and whitespace): a first line that is a JSON object
   -> ``ndjson``; a start like an SSE field (``data:``, ``event:``, ``id:``, ``retry:``,
   ``:``) -> SSE as in 1; anything else -> ``text``.

Reads wait until the decision can be made (at most :data:`MAX_SNIFF_BYTES`), then go to
the chosen reader with their own arrival times. ``StreamResult.detected`` says what was
decided and why; ``StreamResult.format`` is the shape chosen.
"""

from __future__ import annotations

import json
from typing import Literal

from ..tokens import StreamResult
from ._ndjson import NDJSONReader
from ._reader import StreamReader
from ._sse import SSEReader
from ._text import TextReader

__all__ = [
    "MAX_SNIFF_BYTES",
    "NDJSON_MEDIA_TYPES",
    "AutoReader",
    "Framing",
    "decide_framing",
    "media_type",
]

Framing = Literal["sse", "ndjson", "text"]
NDJSON_MEDIA_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)
#: Past this many bytes without a line end, a body starting with ``{`` is ``text``.
MAX_SNIFF_BYTES = 65_536
_SSE_STARTS = (b"data:", b"event:", b"id:", b"retry:", b":")
_BOM = b"\xef\xbb\xbf"


def media_type(content_type: str | None) -> str:
    """``"Text/Event-Stream; charset=utf-8"`` -> ``"text/event-stream"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def decide_framing(  # noqa: PLR0911 - one return per rule of the module doc, in order
    content_type: str | None, head: bytes, *, final: bool = False
) -> tuple[Framing, str] | None:
    """``(framing, why)``, or ``None`` when ``head`` is too short to tell (and not ``final``)."""
    media = media_type(content_type)
    if media == "text/event-stream":
        return "sse", "Content-Type text/event-stream"
    if media in NDJSON_MEDIA_TYPES:
        return "ndjson", f"Content-Type {media}"
    if media.startswith("text/"):
        return "text", f"Content-Type {media}"
    where = f"Content-Type {media}" if media else "no Content-Type"
    body = head.removeprefix(_BOM).lstrip(b" \t\r\n")
    if not body:
        return ("text", f"{where}, empty body") if final else None
    if body.startswith(b"{"):
        line, newline, _ = body.partition(b"\n")
        if not newline and not final and len(body) < MAX_SNIFF_BYTES:
            return None
        if _is_json_object(line):
            return "ndjson", f"{where}, the first body line is a JSON object"
        return "text", f"{where}, the body starts with '{{' but is not JSON lines"
    for start in _SSE_STARTS:
        if body.startswith(start):
            return "sse", f"{where}, the body starts like SSE ({start.decode()!r})"
    if not final and any(start.startswith(body) for start in _SSE_STARTS):
        return None
    return "text", f"{where}, the body is neither SSE nor JSON lines"


class AutoReader(StreamReader):
    def __init__(self, content_type: str | None, token_field: str | None = None) -> None:
        self._content_type = content_type
        self._field = token_field
        self._pending: list[tuple[int, bytes]] = []
        self._inner: StreamReader | None = None
        self._empty = StreamResult(format="text")

    @property
    def result(self) -> StreamResult:
        return self._inner.result if self._inner is not None else self._empty

    def feed(self, arrival_ns: int, data: bytes) -> None:
        if self._inner is not None:
            self._inner.feed(arrival_ns, data)
            return
        self._pending.append((arrival_ns, data))
        self._try_decide(final=False)

    def finish(self, *, complete: bool) -> StreamResult:
        if self._inner is None:
            self._try_decide(final=True)
        assert self._inner is not None
        return self._inner.finish(complete=complete)

    def _try_decide(self, *, final: bool) -> None:
        head = b"".join(data for _, data in self._pending)
        decision = decide_framing(self._content_type, head, final=final)
        if decision is None:
            return
        framing, why = decision
        inner: StreamReader
        if framing == "sse":
            inner = SSEReader(None, self._field, detected=why)
        elif framing == "ndjson":
            inner = NDJSONReader(self._field, detected=f"{why} -> ndjson")
        else:
            inner = TextReader(detected=f"{why} -> text")
        self._inner = inner
        pending, self._pending = self._pending, []
        for arrival_ns, data in pending:
            inner.feed(arrival_ns, data)


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line.decode("utf-8", "replace")), dict)
    except ValueError:
        return False
