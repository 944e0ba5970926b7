"""Response shapes: how content is read from a streamed body (the rules: :mod:`..tokens`).

``sse-json`` (token field path), ``openai-chat``, ``openai-completions``, ``text``,
``ndjson`` and ``auto`` (decided from Content-Type and the first bytes: :mod:`._auto`).
Each is an incremental :class:`StreamReader` over ``(arrival_ns, bytes)`` reads, and
:func:`read_reads` / :func:`read_record` are the pure functions over a whole stream.
"""

from __future__ import annotations

from ._auto import NDJSON_MEDIA_TYPES, AutoReader, Framing, decide_framing, media_type
from ._ndjson import DEFAULT_FIELDS, NDJSONReader
from ._reader import StreamReader
from ._shape import RESPONSE_SHAPES, ResponseShape, ResponseShapeName, read_reads, read_record
from ._sse import CANDIDATE_FIELDS, SSEReader, decide_sse
from ._text import TextReader

__all__ = [
    "CANDIDATE_FIELDS",
    "DEFAULT_FIELDS",
    "NDJSON_MEDIA_TYPES",
    "OPENAI_CHAT",
    "RESPONSE_SHAPES",
    "SERVICE_SSE",
    "AutoReader",
    "Framing",
    "NDJSONReader",
    "ResponseShape",
    "ResponseShapeName",
    "SSEReader",
    "StreamReader",
    "TextReader",
    "decide_framing",
    "decide_sse",
    "media_type",
    "read_reads",
    "read_record",
]

#: Our embedded service's contract: ``data: {"token": ...}`` events.
SERVICE_SSE = ResponseShape("sse-json", "token")
#: OpenAI chat completion chunks (mock_llm itself).
OPENAI_CHAT = ResponseShape("openai-chat")
