"""OpenAI's wire format, byte for byte: SSE chunks, full responses, error envelopes.

A :class:`ChunkEncoder` is built once per request; it pre-renders everything
around the token text so that a content chunk costs one bytes join.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring  # the C implementation when available
from typing import Any, Literal

Endpoint = Literal["chat", "completion"]
SYSTEM_FINGERPRINT = "fp_streamgauge"
DONE_EVENT = b"data: [DONE]\n\n"


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _json_str(text: str) -> bytes:
    """A JSON string literal, exactly as ``json.dumps(text, ensure_ascii=False)``."""
    return encode_basestring(text).encode()


def http_chunk(payload: bytes) -> bytes:
    """HTTP/1.1 chunked transfer framing of one payload."""
    return b"%x\r\n%b\r\n" % (len(payload), payload)


def http_chunk_template(prefix: bytes, suffix: bytes) -> tuple[bytes, int]:
    """:func:`http_chunk` of ``prefix + text + suffix`` as one formatting template.

    ``template % (base_len + len(text), text)`` is the same bytes in one
    operation instead of two concatenations and a format (the Python write
    path formats one of these per token).
    """
    template = b"%x\r\n" + prefix.replace(b"%", b"%%") + b"%b" + suffix.replace(b"%", b"%%")
    return template + b"\r\n", len(prefix) + len(suffix)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


class ChunkEncoder:
    """SSE ``data:`` events for one streamed chat or legacy completion."""

    def __init__(
        self,
        *,
        endpoint: Endpoint,
        completion_id: str,
        created: int,
        model: str,
        include_usage: bool,
    ) -> None:
        self.endpoint = endpoint
        self.include_usage = include_usage
        self._head: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk" if endpoint == "chat" else "text_completion",
            "created": created,
            "model": model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }
        usage_null = b',"usage":null' if include_usage else b""
        self._usage_null = usage_null
        # The fields before "choices", rendered by hand: two json.dumps of dicts
        # per request would cost more than the rest of the request's planning.
        head = b'{"id":%b,"object":"%b","created":%d,"model":%b,"system_fingerprint":"%b"' % (
            _json_str(completion_id),
            self._head["object"].encode(),
            created,
            _json_str(model),
            SYSTEM_FINGERPRINT.encode(),
        )
        self._data_head = b"data: " + head
        if endpoint == "chat":
            self.prefix = b"data: " + head + b',"choices":[{"index":0,"delta":{"content":'
            self.suffix = b'},"logprobs":null,"finish_reason":null}]' + usage_null + b"}\n\n"
        else:
            self.prefix = b"data: " + head + b',"choices":[{"text":'
            self.suffix = (
                b',"index":0,"logprobs":null,"finish_reason":null}]' + usage_null + b"}\n\n"
            )

    def _event(self, choices: list[dict[str, Any]], usage: object = None) -> bytes:
        body: dict[str, Any] = {**self._head, "choices": choices}
        if self.include_usage:
            body["usage"] = usage
        return b"data: " + _dumps(body) + b"\n\n"

    def role(self) -> bytes:
        """The role-only first chunk (chat only; legacy completions have none)."""
        if self.endpoint != "chat":
            return b""
        return (
            self._data_head
            + b',"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},'
            + b'"logprobs":null,"finish_reason":null}]'
            + self._usage_null
            + b"}\n\n"
        )

    def content(self, encoded_text: bytes) -> bytes:
        """A content chunk; ``encoded_text`` is the JSON string literal of the text."""
        return self.prefix + encoded_text + self.suffix

    def finish(self, reason: str) -> bytes:
        """The empty-delta chunk that carries ``finish_reason``."""
        if self.endpoint == "chat":
            choice = b'{"index":0,"delta":{},"logprobs":null,"finish_reason":%b}'
        else:
            choice = b'{"text":"","index":0,"logprobs":null,"finish_reason":%b}'
        return (
            self._data_head
            + b',"choices":['
            + choice % _json_str(reason)
            + b"]"
            + self._usage_null
            + b"}\n\n"
        )

    def usage(self, usage: Usage) -> bytes:
        """The usage chunk OpenAI sends with ``choices: []`` under include_usage."""
        return self._event([], usage.as_dict())

    def full_response(self, text: str, finish_reason: str, usage: Usage) -> bytes:
        """The non-streaming body for the same completion (same id, created, model)."""
        return full_response(
            endpoint=self.endpoint,
            completion_id=str(self._head["id"]),
            created=int(self._head["created"]),
            model=str(self._head["model"]),
            text=text,
            finish_reason=finish_reason,
            usage=usage,
        )

    def malformed(self) -> bytes:
        completion_id = str(self._head["id"]).encode()
        return b'data: {"id": "' + completion_id + b'", "choices": [{"delta": \n\n'


def full_response(
    *,
    endpoint: Endpoint,
    completion_id: str,
    created: int,
    model: str,
    text: str,
    finish_reason: str,
    usage: Usage,
) -> bytes:
    """The non-streaming body, with ``usage``."""
    if endpoint == "chat":
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": text, "refusal": None},
            "logprobs": None,
            "finish_reason": finish_reason,
        }
        obj = "chat.completion"
    else:
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}
        obj = "text_completion"
    return _dumps(
        {
            "id": completion_id,
            "object": obj,
            "created": created,
            "model": model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [choice],
            "usage": usage.as_dict(),
        }
    )


@dataclass(frozen=True)
class ApiError(Exception):
    """An error in OpenAI's envelope with its HTTP status and extra headers."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def body(self) -> bytes:
        return _dumps(
            {
                "error": {
                    "message": self.message,
                    "type": self.type,
                    "param": self.param,
                    "code": self.code,
                }
            }
        )

    def event(self) -> bytes:
        """The same envelope as an SSE event, as OpenAI sends a mid-stream error."""
        return b"data: " + self.body() + b"\n\n"


def rate_limited(retry_after_s: int, limit: int, message: str | None = None) -> ApiError:
    return ApiError(
        status=429,
        message=message or "Rate limit reached for requests (mock_llm)",
        type="requests",
        code="rate_limit_exceeded",
        headers=(
            ("retry-after", str(retry_after_s)),
            ("x-ratelimit-limit-requests", str(limit)),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", f"{retry_after_s}s"),
        ),
    )


def status_error(status: int, retry_after_s: int = 1) -> ApiError:
    """The error OpenAI would send for an injected status fault."""
    if status == 429:
        return rate_limited(retry_after_s, limit=1)
    if status == 401:
        return ApiError(401, "Incorrect API key provided (mock_llm)", code="invalid_api_key")
    if status == 400:
        return ApiError(400, "Injected invalid request (mock_llm)", code="injected_fault")
    if status == 503:
        return ApiError(
            503,
            "The engine is currently overloaded (mock_llm)",
            type="server_error",
            code="service_unavailable",
        )
    return ApiError(
        status,
        "The server had an error while processing your request (mock_llm)",
        type="server_error",
        code="injected_fault",
    )
