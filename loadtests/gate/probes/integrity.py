"""Content integrity: each stream's text equals what the mock generated for that request.

The mock's ledger keeps every request's generated text (``text``, mock_llm/ledger.py),
found by the stream's request id (the correlation marker). The text mode is ``hard``:
multi-byte UTF-8 (``中文``, ``🙂``, ``👩‍💻``), ``\\n``, ``\\r\\n``, quotes, backslashes and
``data: [DONE]`` as token text, so a service that splits bytes, re-frames SSE by hand or
mangles escapes shows here. Rules (pure, :func:`integrity_numbers`):

- the expected text is that of the last attempt that finished generating (``completed``
  or ``length``); a stream whose id has no such record is mismatched ("no upstream
  record");
- a stream matches when its concatenated content equals the expected text exactly;
- for a mismatched stream, ``lost_tokens = max(0, generated - received)`` and
  ``duplicated_tokens = max(0, received - generated)``, counting the mock's tokens and the
  stream's content events. A matching stream counts 0 whatever its chunking (a service
  may merge tokens into fewer events). A ``text`` body shows no tokens: its mismatches
  count in ``mismatched_streams`` only;
- ``first_mismatch`` describes the first mismatched stream: its id, the first differing
  character and a few characters either side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...client.endpoints import Endpoint
from ...client.ledger import fetch_records
from ...client.marker import Shaping
from .waves import Stream, Wave, send_wave

__all__ = [
    "INTEGRITY_SHAPE",
    "Expected",
    "StreamText",
    "expected_from_records",
    "first_difference",
    "integrity_numbers",
    "integrity_wave",
    "text_pairs",
]

INTEGRITY_SHAPE = Shaping(ttft_ms=10.0, itl_ms=5.0, tokens=40, text_mode="hard")
STREAMS = 20
CONCURRENCY = 10
_FINISHED = ("completed", "length")
_CONTEXT = 12


@dataclass(frozen=True, slots=True)
class Expected:
    """What the mock generated for one request: its text and token count."""

    text: str
    tokens: int


@dataclass(frozen=True, slots=True)
class StreamText:
    """One stream's id, what it should have said, what it said, and its content events
    (``None`` when the wire shows no tokens: ``text``)."""

    request_id: str
    expected: Expected | None
    text: str
    events: int | None


def expected_from_records(records: Sequence[Mapping[str, Any]]) -> Expected | None:
    """The last attempt that finished generating, with its text kept. Pure."""
    for record in reversed(records):
        if record.get("finish_reason") in _FINISHED and record.get("text") is not None:
            return Expected(str(record["text"]), int(record.get("tokens_planned") or 0))
    return None


def first_difference(expected: str, got: str) -> int | None:
    """Index of the first character where the texts differ; ``None`` if they are equal.

    ``("abc", "abd")`` -> 2; ``("abc", "ab")`` -> 2 (the shorter text ended there).
    """
    if expected == got:
        return None
    for i, (a, b) in enumerate(zip(expected, got, strict=False)):
        if a != b:
            return i
    return min(len(expected), len(got))


def _describe(item: StreamText) -> str:
    if item.expected is None:
        return f"{item.request_id}: no upstream record with a finished text for this id"
    at = first_difference(item.expected.text, item.text)
    assert at is not None
    lo = max(0, at - _CONTEXT)
    want = item.expected.text[lo : at + _CONTEXT]
    got = item.text[lo : at + _CONTEXT]
    return (
        f"{item.request_id}: differs at character {at} of {len(item.expected.text)}: "
        f"expected {want!r}, got {got!r}"
    )


def integrity_numbers(items: Sequence[StreamText]) -> dict[str, Any]:
    """The contract's ``integrity`` dict (module rules). Pure."""
    mismatched = [i for i in items if i.expected is None or i.text != i.expected.text]
    lost = duplicated = 0
    for item in mismatched:
        if item.expected is None or item.events is None:
            continue
        lost += max(0, item.expected.tokens - item.events)
        duplicated += max(0, item.events - item.expected.tokens)
    return {
        "streams": len(items),
        "mismatched_streams": len(mismatched),
        "lost_tokens": lost,
        "duplicated_tokens": duplicated,
        "first_mismatch": _describe(mismatched[0]) if mismatched else None,
    }


def text_pairs(streams: Sequence[Stream], mock_url: str) -> list[StreamText]:
    """Each stream with the mock's record of its request (one ledger query per id)."""
    out = []
    for stream in streams:
        expected = expected_from_records(fetch_records(mock_url, stream.request_id))
        counted = stream.result.counting == "events"
        out.append(
            StreamText(
                stream.request_id,
                expected,
                stream.result.text,
                len(stream.result.tokens) if counted else None,
            )
        )
    return out


async def integrity_wave(target: Endpoint) -> Wave:
    """:data:`STREAMS` ``hard``-text streams through the service, :data:`CONCURRENCY` at once."""
    return await send_wave(
        target,
        prefix="integrity",
        count=STREAMS,
        concurrency=CONCURRENCY,
        shaping=lambda i: Shaping(
            ttft_ms=INTEGRITY_SHAPE.ttft_ms,
            itl_ms=INTEGRITY_SHAPE.itl_ms,
            tokens=INTEGRITY_SHAPE.tokens,
            text_mode="hard",
            seed=1000 + i,
        ),
        timeout_s=15.0,
    )
