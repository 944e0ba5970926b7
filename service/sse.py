"""The wire format of ``POST /chat/stream``: one SSE event per token.

Every payload is JSON, so a token holding ``\\n\\n`` or ``data:`` cannot end or
fake an event: JSON escapes newlines, and a JSON string never starts a line.
"""

from __future__ import annotations

import json

DONE_EVENT = b"data: [DONE]\n\n"
SSE_MEDIA_TYPE = "text/event-stream"


def token_event(token: str) -> bytes:
    """``data: {"token": "..."}`` followed by the blank line that ends the event."""
    return b'data: {"token":' + json.dumps(token, ensure_ascii=False).encode() + b"}\n\n"


def error_event(error_type: str, message: str) -> bytes:
    """The mid-stream failure event; the stream ends after it (no ``[DONE]``)."""
    body = {"error": {"type": error_type, "message": message}}
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"
