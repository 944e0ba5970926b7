"""The request body of ``POST /chat/stream``: read bounded, parsed strictly.

The body is read by hand rather than declared as a FastAPI body parameter so
that the size limit (413) applies before any parsing, a wrong content type is a
415, malformed JSON is a 400, and shapes are a 422, each with our error shape.
"""

from __future__ import annotations

from typing import Literal

from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request

from .errors import ServiceError
from .settings import ServiceSettings


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    """``{"prompt": "..."}`` or ``{"messages": [...]}``; optional ``model``, ``max_tokens``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    prompt: str | None = None
    messages: list[ChatMessage] | None = None
    model: str | None = Field(None, min_length=1, max_length=200)
    max_tokens: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_of_prompt_or_messages(self) -> ChatRequest:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("send exactly one of 'prompt' or 'messages'")
        if self.prompt is not None and not self.prompt.strip():
            raise ValueError("'prompt' must not be empty")
        if self.messages is not None and not any(m.content.strip() for m in self.messages):
            raise ValueError("'messages' must contain some non-empty content")
        return self

    def prompt_chars(self) -> int:
        if self.prompt is not None:
            return len(self.prompt)
        return sum(len(m.content) for m in self.messages or ())

    def upstream_messages(self) -> list[ChatCompletionMessageParam]:
        if self.prompt is not None:
            return [{"role": "user", "content": self.prompt}]
        out: list[ChatCompletionMessageParam] = []
        for m in self.messages or ():
            if m.role == "system":
                out.append({"role": "system", "content": m.content})
            elif m.role == "assistant":
                out.append({"role": "assistant", "content": m.content})
            else:
                out.append({"role": "user", "content": m.content})
        return out


def _invalid(message: str, details: list[dict[str, object]] | None = None) -> ServiceError:
    return ServiceError(422, "invalid_request", message, details=details)


def _check_limits(chat: ChatRequest, settings: ServiceSettings) -> None:
    if chat.prompt_chars() > settings.max_prompt_chars:
        raise _invalid(
            f"prompt too long: {chat.prompt_chars()} characters, limit {settings.max_prompt_chars}"
        )
    if chat.messages is not None and len(chat.messages) > settings.max_messages:
        raise _invalid(f"too many messages: {len(chat.messages)}, limit {settings.max_messages}")
    if chat.max_tokens is not None and chat.max_tokens > settings.max_output_tokens:
        raise _invalid(
            f"max_tokens too large: {chat.max_tokens}, limit {settings.max_output_tokens}"
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 as soon as it is known to exceed ``limit`` bytes."""
    too_large = ServiceError(413, "body_too_large", f"request body exceeds {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise too_large
    return bytes(body)


async def parse_chat_request(request: Request, settings: ServiceSettings) -> ChatRequest:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ServiceError(
            415, "unsupported_media_type", "send the body as Content-Type: application/json"
        )
    body = await read_body(request, settings.max_body_bytes)
    try:
        chat = ChatRequest.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise ServiceError(400, "invalid_json", "the request body is not valid JSON") from None
        details: list[dict[str, object]] = [
            {"loc": list(e["loc"]), "message": e["msg"].removeprefix("Value error, ")}
            for e in errors
        ]
        raise _invalid("the request body does not match the schema", details) from None
    _check_limits(chat, settings)
    return chat
