"""Termination: every stream ends with its format's terminator or an error.

Per stream read in full (pure, :func:`ending`):

- ``terminated``: the format's end marker arrived (``StreamResult.terminator_seen``:
  ``[DONE]`` for the SSE shapes, ``"done": true`` for ``ndjson``, the HTTP message's end
  for ``text``, which has no in-band marker), or an error did (an error event or object,
  or an HTTP status >= 400);
- ``silent``: neither, and the body ended without a transport error: the client cannot
  tell a finished answer from a truncated one. Counted in ``silent_truncations``;
- ``broken``: neither, and the connection was cut, timed out or unparseable: the
  client saw a failure (``broken``, not part of the contract's check).

``done`` is not used: metrics contract 2 sets it for any complete ``sse-json``/``ndjson``
/``text`` body, which is exactly the case this check is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from .waves import Stream

__all__ = ["Ending", "ending", "termination_numbers"]

Ending = Literal["terminated", "silent", "broken"]


def ending(stream: Stream) -> Ending:
    """How one stream ended (module rules). Pure."""
    result, record = stream.result, stream.record
    if result.terminator_seen or result.error is not None:
        return "terminated"
    if record.status is not None and record.status >= 400:
        return "terminated"
    return "silent" if record.error is None else "broken"


def termination_numbers(streams: Sequence[Stream]) -> dict[str, Any]:
    """The contract's ``termination`` dict, plus ``broken``. Pure."""
    endings = [ending(s) for s in streams]
    return {
        "streams": len(endings),
        "terminated": endings.count("terminated"),
        "silent_truncations": endings.count("silent"),
        "broken": endings.count("broken"),
    }
