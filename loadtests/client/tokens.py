"""Token extraction: from timed reads to content events, separately from timing.

Every parser gets a stream's reads as ``(arrival_ns, bytes)`` and gives each part the
arrival time of the socket read that completed it. The response shapes
(:mod:`loadtests.client.response_shapes`, ``--response-shape``):

``sse-json`` (``"service"`` is it with the field ``token``: our embedded service)
    SSE; each event's data is a JSON object whose text sits at a token field path
    (``--token-field``, default ``token``; dotted, digits index lists:
    ``choices.0.delta.content``). ``data: [DONE]`` ends the stream;
    ``data: {"error": ...}`` is an error.
``openai-chat`` / ``openai-completions`` (``"openai"``: either)
    Raw OpenAI streaming chunks, one parser for both: chat (``choices[0].delta.content``)
    or legacy completion (``choices[0].text``); a usage chunk (``choices: []`` plus
    ``usage``, sent with ``stream_options.include_usage``); ``{"error": {...}}`` on
    failure; ``[DONE]``. Only ``choices[0]`` is read: streams with ``n > 1`` are not
    supported.
``text``
    Any non-SSE body (``text/plain`` raw tokens): each body read that decodes to
    non-empty text is one event and one content event, at its arrival time. UTF-8 is
    decoded incrementally, so a character split across reads belongs to the read that
    completed it. A body that is, as a whole, a JSON object with ``error`` is an error.
``ndjson``
    One JSON object per line (LF or CRLF), e.g. Ollama's native API. The text sits at
    the token field path; by default the first present of ``message.content`` (Ollama
    chat), ``response`` (Ollama generate) and ``token``. ``{"error": ...}`` is an error;
    ``"done": true`` ends the stream (later lines are ignored) and its ``eval_count`` is
    the usage count. A last line without a line end is read when the body ends.
``auto``
    Decided from the response's Content-Type and first body bytes
    (:mod:`loadtests.client.response_shapes`); ``StreamResult.detected`` says what was
    decided and why, ``StreamResult.format`` is the shape it chose.

Rules (the metrics contract, ``docs/metrics.md``):

- Every dispatched SSE event, NDJSON line or text read counts as an event (time to
  first event), whatever it holds.
- A content event is one whose text is a non-empty string. Role-only chunks, empty-string
  content, ``null`` content, tool-call deltas and usage chunks are events but not content:
  they never set the first token time.
- Each content event carries ``n_tokens = 1`` (every format). A stream's output token
  count is ``usage.completion_tokens`` (NDJSON: ``eval_count``) when the stream reported
  it, else the number of content events; for ``text``, whose tokens the wire does not
  show, the whitespace-separated words of the text. ``StreamResult.tokens_counted_by``
  says which (``usage`` / ``events`` / ``words``).
- Multi-token chunks: when one chunk holds several tokens, all of them arrive at the
  chunk's arrival time. Inter-token latency gaps are measured between content events;
  TPOT spreads the time over the usage token count.
- ``[DONE]`` (NDJSON: ``"done": true``) sets ``done``. For ``sse-json``, ``ndjson`` and
  ``text``, a body that ended normally (the HTTP message was complete) sets it too: those
  services need not send an end marker. OpenAI chunks need ``[DONE]``.
- ``terminator_seen`` is stricter: the format's own end marker arrived (``[DONE]`` for
  every SSE shape, ``"done": true`` for ``ndjson``). ``text`` has no in-band marker, so
  there the HTTP message's end is its terminator. A body that simply ends has ``done``
  but not ``terminator_seen``: a silent truncation for a check that asks for a marker.
- The first error (object or event) is kept in ``error``: a failed stream, its message
  in the evidence; a string error becomes ``{"message": ...}``. Data that is neither
  ``[DONE]`` nor a JSON object counts in ``malformed``; a JSON object of no recognised
  shape (no token field, not a chunk, no usage) counts in ``unrecognized`` (a high count
  means the wrong shape).
- An SSE event of type ``error`` is an error too: a JSON object is kept as is, other data
  as ``{"message": data}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .records import RequestRecord
from .sse import SSEEvent, SSEParser
from .token_field import TokenPath, lookup, parse_token_field

if TYPE_CHECKING:
    from .response_shapes import ResponseShape

__all__ = [
    "SSE_FORMATS",
    "StreamFormat",
    "StreamResult",
    "TokenCount",
    "TokenEvent",
    "classify_event",
    "count_event",
    "events_from_reads",
    "extract_tokens",
    "set_error",
    "tokens_from_record",
    "usage_completion_tokens",
]

#: The shape a stream was read as. ``"service"`` and ``"openai"`` are the older names of
#: ``sse-json`` with ``token`` and of either OpenAI shape.
StreamFormat = Literal[
    "sse-json", "openai-chat", "openai-completions", "text", "ndjson", "service", "openai"
]
#: The formats read as SSE events (:func:`extract_tokens`).
SSE_FORMATS: tuple[StreamFormat, ...] = (
    "sse-json",
    "openai-chat",
    "openai-completions",
    "service",
    "openai",
)
_OPENAI: tuple[StreamFormat, ...] = ("openai-chat", "openai-completions", "openai")
#: How ``output_tokens`` was counted.
TokenCount = Literal["usage", "events", "words"]
_DEFAULT_FIELD: TokenPath = ("token",)

_DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class TokenEvent:
    """A content event: non-empty text that arrived at ``arrival_ns``."""

    arrival_ns: int
    text: str
    n_tokens: int = 1


@dataclass(slots=True)
class StreamResult:
    """What a stream said, with the arrival time of each part."""

    format: StreamFormat
    tokens: list[TokenEvent] = field(default_factory=list)
    n_events: int = 0
    first_event_ns: int | None = None
    last_event_ns: int | None = None
    done: bool = False
    #: The format's own end marker arrived (module rules); ``done`` also counts a body end.
    terminator_seen: bool = False
    error: dict[str, object] | None = None
    usage_completion_tokens: int | None = None
    malformed: int = 0
    unrecognized: int = 0
    #: ``"words"`` when the wire does not show tokens (``text``).
    counting: Literal["events", "words"] = "events"
    #: The token field path read (``sse-json``, ``ndjson``), dotted.
    token_field: str | None = None
    #: What ``auto`` decided and why (``None`` for a named shape).
    detected: str | None = None

    @property
    def first_token_ns(self) -> int | None:
        """Arrival of the first content event."""
        return self.tokens[0].arrival_ns if self.tokens else None

    @property
    def last_token_ns(self) -> int | None:
        """Arrival of the last content event."""
        return self.tokens[-1].arrival_ns if self.tokens else None

    @property
    def token_arrivals_ns(self) -> list[int]:
        """Arrival time of each content event, in order."""
        return [t.arrival_ns for t in self.tokens]

    @property
    def output_tokens(self) -> int:
        """``usage.completion_tokens`` if reported, else the sum of ``n_tokens`` (for
        ``counting="words"``, the whitespace-separated words of :attr:`text`)."""
        if self.usage_completion_tokens is not None:
            return self.usage_completion_tokens
        if self.counting == "words":
            return len(self.text.split())
        return sum(t.n_tokens for t in self.tokens)

    @property
    def tokens_counted_by(self) -> TokenCount:
        """How :attr:`output_tokens` was counted, for a report to say so."""
        if self.usage_completion_tokens is not None:
            return "usage"
        return self.counting

    @property
    def text(self) -> str:
        """The concatenated content."""
        return "".join(t.text for t in self.tokens)


def events_from_reads(reads: Iterable[tuple[int, bytes]]) -> list[tuple[int, SSEEvent]]:
    """Parse raw reads, giving each event the arrival time of the read that completed it."""
    parser = SSEParser()
    out: list[tuple[int, SSEEvent]] = []
    for arrival_ns, chunk in reads:
        out.extend((arrival_ns, event) for event in parser.feed(chunk))
    return out


def tokens_from_record(record: RequestRecord, fmt: StreamFormat | ResponseShape) -> StreamResult:
    """:func:`extract_tokens` over a record's reads; a response shape (any, ``auto``
    included) reads it with :func:`loadtests.client.response_shapes.read_record`."""
    if not isinstance(fmt, str):
        from .response_shapes import read_record  # noqa: PLC0415  (the shapes import this module)

        return read_record(record, fmt)
    return extract_tokens(events_from_reads(record.reads), fmt)


def extract_tokens(
    events: Iterable[tuple[int, SSEEvent]],
    fmt: StreamFormat,
    *,
    token_field: str | None = None,
) -> StreamResult:
    """Classify timed SSE events per the module rules.

    ``token_field`` is the dotted path of ``sse-json``/``service`` events (default
    ``token``); the OpenAI formats ignore it.
    """
    if fmt not in SSE_FORMATS:
        raise ValueError(f"unknown stream format {fmt!r}")
    path = _DEFAULT_FIELD if token_field is None else parse_token_field(token_field)
    result = StreamResult(format=fmt)
    if fmt not in _OPENAI:
        result.token_field = ".".join(str(s) for s in path)
    for arrival_ns, event in events:
        classify_event(result, arrival_ns, event, path)
    return result


def count_event(result: StreamResult, arrival_ns: int) -> None:
    """One more event (of any kind) arrived at ``arrival_ns``."""
    if result.first_event_ns is None:
        result.first_event_ns = arrival_ns
    result.last_event_ns = arrival_ns
    result.n_events += 1


def classify_event(
    result: StreamResult, arrival_ns: int, event: SSEEvent, path: TokenPath = _DEFAULT_FIELD
) -> None:
    """Count one timed SSE event into ``result`` (whose ``format`` says how to read it)."""
    count_event(result, arrival_ns)
    data = event.data
    if data.strip() == _DONE:
        result.done = True
        result.terminator_seen = True
        return
    try:
        obj: object = json.loads(data)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        if event.event == "error":
            set_error(result, data)
        else:
            result.malformed += 1
        return
    if obj.get("error") is not None:
        set_error(result, obj["error"])
        return
    if event.event == "error":
        set_error(result, obj)
        return
    completion = usage_completion_tokens(obj)
    recognized = completion is not None
    if completion is not None:
        result.usage_completion_tokens = completion
    text: object
    if result.format in _OPENAI:
        text, is_chunk = _openai_text(obj)
        recognized = recognized or is_chunk
    else:
        found, text = lookup(obj, path)
        recognized = recognized or found
    if isinstance(text, str) and text:
        result.tokens.append(TokenEvent(arrival_ns, text))
    elif not recognized:
        result.unrecognized += 1


def usage_completion_tokens(obj: dict[str, object]) -> int | None:
    """``usage.completion_tokens`` of an object, if it is an int."""
    usage = obj.get("usage")
    if not isinstance(usage, dict):
        return None
    completion = usage.get("completion_tokens")
    # bool is an int subclass; a usage count is never a bool.
    if isinstance(completion, int) and not isinstance(completion, bool):
        return completion
    return None


def _openai_text(chunk: dict[str, object]) -> tuple[object, bool]:
    """``(content or None, looks like a chunk)`` from an OpenAI streaming chunk."""
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        return None, False
    if not choices:
        return None, True
    first = choices[0]
    if not isinstance(first, dict):
        return None, False
    delta = first.get("delta")
    if isinstance(delta, dict):
        return delta.get("content"), True
    return first.get("text"), "text" in first or "finish_reason" in first


def set_error(result: StreamResult, error: object) -> None:
    """Keep the first error: an object as is, anything else as ``{"message": error}``."""
    if result.error is not None:
        return
    if isinstance(error, dict):
        result.error = {str(k): v for k, v in error.items()}
    else:
        result.error = {"message": error}
