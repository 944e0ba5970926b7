"""Token extraction: from timed SSE events to content events, separately from timing.

Input is ``(arrival_ns, SSEEvent)`` pairs, where ``arrival_ns`` is the arrival time of
the socket read that completed the event (:func:`events_from_reads`). Two formats:

``"service"``
    Our service: ``data: {"token": "..."}`` per token, ``data: [DONE]`` at the end,
    ``data: {"error": {"type": ..., "message": ...}}`` on failure.
``"openai"``
    Raw OpenAI streaming chunks: chat (``choices[0].delta.content``) or legacy completion
    (``choices[0].text``); a usage chunk (``choices: []`` plus ``usage``, sent with
    ``stream_options.include_usage``); ``{"error": {...}}`` on failure; ``[DONE]``.
    Only ``choices[0]`` is read: streams with ``n > 1`` are not supported.

Rules (the metrics contract, ``docs/metrics.md``):

- Every dispatched SSE event counts as an event (time to first event), whatever it holds.
- A content event is one whose text is a non-empty string. Role-only chunks, empty-string
  content, ``null`` content, tool-call deltas and usage chunks are events but not content:
  they never set the first token time.
- Each content event carries ``n_tokens = 1`` (both formats). A stream's output token
  count is ``usage.completion_tokens`` when a usage object reported it, else the number
  of content events.
- Multi-token chunks: when one chunk holds several tokens, all of them arrive at the
  chunk's arrival time. Inter-token latency gaps are measured between content events;
  TPOT spreads the time over the usage token count.
- ``[DONE]`` sets ``done``; the first error object is kept in ``error``; data that is
  neither ``[DONE]`` nor a JSON object counts in ``malformed``; a JSON object of neither
  recognised shape counts in ``unrecognized`` (a high count means the wrong format).
- An event of type ``error`` is an error too: a JSON object is kept as is, other data as
  ``{"message": data}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from .records import RequestRecord
from .sse import SSEEvent, SSEParser

__all__ = [
    "StreamFormat",
    "StreamResult",
    "TokenEvent",
    "events_from_reads",
    "extract_tokens",
    "tokens_from_record",
]

StreamFormat = Literal["service", "openai"]

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
    error: dict[str, object] | None = None
    usage_completion_tokens: int | None = None
    malformed: int = 0
    unrecognized: int = 0

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
        """``usage.completion_tokens`` if reported, else the sum of ``n_tokens``."""
        if self.usage_completion_tokens is not None:
            return self.usage_completion_tokens
        return sum(t.n_tokens for t in self.tokens)

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


def tokens_from_record(record: RequestRecord, fmt: StreamFormat) -> StreamResult:
    """:func:`extract_tokens` over a record's reads."""
    return extract_tokens(events_from_reads(record.reads), fmt)


def extract_tokens(events: Iterable[tuple[int, SSEEvent]], fmt: StreamFormat) -> StreamResult:
    """Classify timed events per the module rules."""
    if fmt not in ("service", "openai"):
        raise ValueError(f"unknown stream format {fmt!r}")
    result = StreamResult(format=fmt)
    for arrival_ns, event in events:
        if result.first_event_ns is None:
            result.first_event_ns = arrival_ns
        result.last_event_ns = arrival_ns
        result.n_events += 1
        _classify(result, arrival_ns, event)
    return result


def _classify(result: StreamResult, arrival_ns: int, event: SSEEvent) -> None:
    data = event.data
    if data.strip() == _DONE:
        result.done = True
        return
    try:
        obj: object = json.loads(data)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        if event.event == "error":
            _set_error(result, data)
        else:
            result.malformed += 1
        return
    if obj.get("error") is not None:
        _set_error(result, obj["error"])
        return
    if event.event == "error":
        _set_error(result, obj)
        return
    completion = _usage_completion_tokens(obj)
    recognized = completion is not None
    if completion is not None:
        result.usage_completion_tokens = completion
    if result.format == "service":
        text = obj.get("token")
        recognized = recognized or "token" in obj
    else:
        text, is_chunk = _openai_text(obj)
        recognized = recognized or is_chunk
    if isinstance(text, str) and text:
        result.tokens.append(TokenEvent(arrival_ns, text))
    elif not recognized:
        result.unrecognized += 1


def _usage_completion_tokens(obj: dict[str, object]) -> int | None:
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


def _set_error(result: StreamResult, error: object) -> None:
    if result.error is not None:
        return
    if isinstance(error, dict):
        result.error = {str(k): v for k, v in error.items()}
    else:
        result.error = {"message": error}
