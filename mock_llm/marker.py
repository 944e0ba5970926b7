"""The correlation marker: a request id and upstream shaping carried inside the prompt.

Services forward the prompt, not the harness's headers, so the harness appends
``[sg:<request-id>]`` or ``[sg:<request-id> key=value ...]`` to every prompt
(the harness writes it by the same grammar; tests/unit/test_marker_agreement.py keeps
the writer and this parser in agreement). The mock
looks in the last user message (chat) or the last prompt (completions):

- the LAST well-formed marker there wins, so a prompt quoting another request's
  marker earlier in its text cannot take that request's id;
- a malformed one (bad id, unknown or repeated key, bad value, no ``]`` within
  :data:`MAX_MARKER_CHARS`) is not a marker, only prompt text: it is skipped, its
  reason kept for the caller to count and log;
- keys may come in any order (the harness writes them in the grammar's order);
  ``fault-*`` keys need ``fault=<kind>``.

Work is bounded whatever the prompt: ``rfind`` from the end, at most
:data:`MAX_CANDIDATES` occurrences of ``[sg:`` looked at, each within
:data:`MAX_MARKER_CHARS`. A prompt without ``[sg:`` costs one ``rfind``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .overrides import NO_OVERRIDES, MockOverrides

__all__ = [
    "MARKER_KEYS",
    "MAX_CANDIDATES",
    "MAX_MARKER_CHARS",
    "NOT_FOUND",
    "Marker",
    "MarkerSearch",
    "find_marker",
    "without_marker",
]

OPEN = "[sg:"
MAX_CANDIDATES = 8
"""``[sg:`` occurrences examined, from the end, before the search gives up."""
MAX_MARKER_CHARS = 1024
"""Longest marker, brackets included (a 128-character id and every key fit in ~400)."""

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
_STATUS = re.compile(r"[0-9]{3}\Z")
_SEED = re.compile(r"-?[0-9]+\Z")
_NAME = re.compile(r"[a-z][a-z_]*\Z")


def _decimal(value: str) -> float | None:
    return float(value) if _DECIMAL.match(value) else None


def _positive(value: str) -> int | None:
    return int(value) if _DIGITS.match(value) and int(value) >= 1 else None


def _count(value: str) -> int | None:
    return int(value) if _DIGITS.match(value) else None


def _status(value: str) -> int | None:
    return int(value) if _STATUS.match(value) else None  # the range is FaultSpec's


def _seed(value: str) -> int | None:
    return int(value) if _SEED.match(value) else None


def _name(value: str) -> str | None:
    return value if _NAME.match(value) else None  # which names: MockOverrides' Literals


# key -> (where it goes: an override field, or "fault.<field>"), value syntax
MARKER_KEYS: dict[str, tuple[str, Callable[[str], object]]] = {
    "ttft-ms": ("ttft_ms", _decimal),
    "itl-ms": ("itl_ms", _decimal),
    "tokens": ("tokens", _positive),
    "text-mode": ("text_mode", _name),
    "seed": ("seed", _seed),
    "fault": ("fault.kind", _name),
    "fault-at": ("fault.at", _positive),
    "fault-status": ("fault.status", _status),
    "fault-retry-after": ("fault.retry_after", _count),
    "fault-seconds": ("fault.seconds", _decimal),
    "fault-times": ("fault.times", _positive),
}
"""The keys a marker may carry: the per-request override names with ``-`` for ``_``."""


@dataclass(frozen=True, slots=True)
class Marker:
    """A well-formed marker: ``text[start:end]`` is ``[sg:...]``."""

    request_id: str
    overrides: MockOverrides  # only the fields the marker's keys set
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MarkerSearch:
    """The marker used (``None``: none) and why each ``[sg:`` looked at after it was not one."""

    marker: Marker | None
    malformed: tuple[str, ...] = ()


NOT_FOUND = MarkerSearch(None)


class _MalformedError(ValueError):
    pass


def _overrides(pairs: list[str]) -> MockOverrides:
    """``["tokens=5", "fault=drop"]`` -> validated overrides; raise :class:`_MalformedError`."""
    fields: dict[str, Any] = {}
    fault: dict[str, Any] = {}
    seen: set[str] = set()
    for pair in pairs:
        key, eq, raw = pair.partition("=")
        if not eq or not raw:
            raise _MalformedError(f"not key=value: {pair[:40]!r}")
        if key not in MARKER_KEYS:
            raise _MalformedError(f"unknown key {key[:40]!r}")
        if key in seen:
            raise _MalformedError(f"key {key!r} twice")
        seen.add(key)
        target, syntax = MARKER_KEYS[key]
        value = syntax(raw)
        if value is None:
            raise _MalformedError(f"bad value for {key!r}: {raw[:40]!r}")
        if target.startswith("fault."):
            fault[target[len("fault.") :]] = value
        else:
            fields[target] = value
    if fault:
        if "kind" not in fault:
            raise _MalformedError("fault-* keys without fault=<kind>")
        fields["fault"] = fault
    if not fields:
        return NO_OVERRIDES
    try:
        return MockOverrides.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _MalformedError(f"bad value for {where}: {first['msg']}") from None


def _parse_at(text: str, pos: int, end: int) -> Marker:
    """The marker starting at ``pos`` (``text[pos:]`` starts with ``[sg:``)."""
    close = text.find("]", pos + len(OPEN), min(end, pos + MAX_MARKER_CHARS))
    if close < 0:
        raise _MalformedError(f"no ']' within {MAX_MARKER_CHARS} characters")
    request_id, *pairs = text[pos + len(OPEN) : close].split(" ")
    if not _REQUEST_ID.match(request_id):
        raise _MalformedError(f"bad request id {request_id[:40]!r}")
    return Marker(request_id, _overrides(pairs), pos, close + 1)


def find_marker(text: str, start: int = 0, end: int | None = None) -> MarkerSearch:
    """The last well-formed marker in ``text[start:end]``; pure, bounded work.

    >>> found = find_marker("quote [sg:other] then ask [sg:r-1 tokens=5]").marker
    >>> (found.request_id, found.overrides.tokens) if found else None
    ('r-1', 5)
    """
    end = len(text) if end is None else end
    stop = end
    malformed: list[str] = []
    for _ in range(MAX_CANDIDATES):
        pos = text.rfind(OPEN, start, stop)
        if pos < 0:
            break
        try:
            return MarkerSearch(_parse_at(text, pos, end), tuple(malformed))
        except _MalformedError as why:
            malformed.append(str(why))
        # The next candidate must start before this one; it may end inside it.
        stop = pos + len(OPEN) - 1
    return MarkerSearch(None, tuple(malformed)) if malformed else NOT_FOUND


def without_marker(text: str, marker: Marker) -> str:
    """``text`` with the marker and the whitespace just before it cut out (for echo)."""
    head = text[: marker.start].rstrip()
    return head + text[marker.end :]
