"""The correlation marker: a short suffix on every prompt the harness sends.

Services forward the prompt, not our headers, so the request id (and, optionally, the
upstream shaping the ``X-Mock-*`` headers carry) travels inside the prompt. mock_llm
finds it in the last user message (chat) or the prompt (completions) and uses it when no
``x-request-id`` / ``X-Mock-*`` header arrived; headers win when both are present.

Format (ABNF, RFC 5234; every rule below is exact, both sides implement it):

    prompt      = base-prompt SP marker          ; the marker is the prompt's last text
    marker      = "[sg:" request-id *( SP pair ) "]"
    request-id  = 1*128( ALPHA / DIGIT / "." / "_" / ":" / "-" )
    pair        = key "=" value                  ; no spaces around "="
    key         = "ttft-ms" / "itl-ms" / "tokens" / "text-mode" / "seed" / "fault"
                  / "fault-at" / "fault-status" / "fault-retry-after" / "fault-seconds"
                  / "fault-times"
    ; each key at most once, in the order listed above
    ttft-ms, itl-ms, fault-seconds = decimal     ; milliseconds / seconds, >= 0
    decimal     = 1*DIGIT [ "." 1*DIGIT ]        ; no sign, no exponent
    tokens, fault-at, fault-times  = positive    ; >= 1
    fault-status      = 3DIGIT                   ; 400-599
    fault-retry-after = 1*DIGIT                  ; seconds, >= 0
    positive    = 1*DIGIT                        ; value >= 1
    seed        = [ "-" ] 1*DIGIT
    text-mode, fault = LOWER *( LOWER / "_" )    ; LOWER = %x61-7A; the mock checks the name
    ; "fault-*" keys appear only after "fault"

Examples: ``Say something. [sg:ttft-a1b2-0]``,
``Say something. [sg:dc-x-3 ttft-ms=20 itl-ms=40 tokens=60]``,
``Hi [sg:r1 fault=drop fault-at=3]``.

Keys are the mock's per-request override names with ``-`` for ``_``
(``X-Mock-Ttft-Ms`` -> ``ttft-ms``; the fault's fields as ``fault-<field>``). The harness
always appends exactly one marker; a prompt the user wrote may contain text that looks
like one, so a parser should take the last match that ends the prompt (trailing
whitespace aside).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from decimal import Decimal

__all__ = [
    "MAX_REQUEST_ID_LENGTH",
    "REQUEST_ID_PATTERN",
    "Shaping",
    "format_marker",
    "marked_prompt",
    "validate_request_id",
]

MAX_REQUEST_ID_LENGTH = 128
#: ``request-id`` of the grammar, anchored.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
_NAME = re.compile(r"[a-z][a-z_]*\Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Shaping:
    """Per-request upstream shaping, as the mock's overrides name it (``None``: not sent).

    Field order is the marker's key order.
    """

    ttft_ms: float | None = None
    itl_ms: float | None = None
    tokens: int | None = None
    text_mode: str | None = None
    seed: int | None = None
    fault: str | None = None
    fault_at: int | None = None
    fault_status: int | None = None
    fault_retry_after: int | None = None
    fault_seconds: float | None = None
    fault_times: int | None = None

    def pairs(self) -> list[tuple[str, str]]:
        """``(key, value)`` in marker order; raises ``ValueError`` for a value the grammar
        cannot carry."""
        out: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            key = f.name.replace("_", "-")
            if key.startswith("fault-") and self.fault is None:
                raise ValueError(f"marker: {key} needs fault=<kind>")
            out.append((key, _format_value(f.name, value)))
        return out


def validate_request_id(request_id: str) -> str:
    """Return ``request_id`` if the grammar allows it, else raise ``ValueError``."""
    if not REQUEST_ID_PATTERN.match(request_id):
        raise ValueError(
            f"request id {request_id!r} cannot go in a marker: use 1-{MAX_REQUEST_ID_LENGTH}"
            " characters of A-Z a-z 0-9 . _ : -"
        )
    return request_id


def format_marker(request_id: str, shaping: Shaping | None = None) -> str:
    """``[sg:<request-id>]`` or ``[sg:<request-id> key=value ...]``.

    >>> format_marker("r-1", Shaping(ttft_ms=50.0, tokens=60))
    '[sg:r-1 ttft-ms=50 tokens=60]'
    """
    validate_request_id(request_id)
    pairs = shaping.pairs() if shaping is not None else []
    return "[sg:" + " ".join([request_id, *(f"{k}={v}" for k, v in pairs)]) + "]"


def marked_prompt(prompt: str, request_id: str, shaping: Shaping | None = None) -> str:
    """``"<prompt> <marker>"``: what the harness sends as the prompt."""
    return f"{prompt} {format_marker(request_id, shaping)}"


def _format_value(name: str, value: object) -> str:
    # bool is an int subclass; True is not a token count.
    if isinstance(value, bool):
        raise ValueError(f"marker: {name} must be a number, got {value!r}")  # noqa: TRY004 - one error type for every bad value
    if name in ("text_mode", "fault"):
        if not isinstance(value, str) or not _NAME.match(value):
            raise ValueError(f"marker: {name} must be a lower-case name like 'drop', got {value!r}")
        return value
    if name in ("ttft_ms", "itl_ms", "fault_seconds"):
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ValueError(f"marker: {name} must be a finite number >= 0, got {value!r}")
        return _decimal(float(value))
    if not isinstance(value, int):
        raise ValueError(f"marker: {name} must be an integer, got {value!r}")  # noqa: TRY004 - as above
    if name == "seed":
        return str(value)
    low, high = {"fault_status": (400, 599), "fault_retry_after": (0, None)}.get(name, (1, None))
    if value < low or (high is not None and value > high):
        bounds = f"{low}-{high}" if high is not None else f">= {low}"
        raise ValueError(f"marker: {name} must be {bounds}, got {value}")
    return str(value)


def _decimal(value: float) -> str:
    """Shortest round-tripping digits, positional: ``50.0`` -> ``50``, ``1e-07`` ->
    ``0.0000001``."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
