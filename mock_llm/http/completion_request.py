"""Validation of OpenAI request bodies into the few fields the mock acts on.

Errors mirror OpenAI's: HTTP 400, ``invalid_request_error``, ``param`` naming
the offending field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .wire import ApiError, Endpoint


@dataclass(frozen=True)
class CompletionRequest:
    endpoint: Endpoint
    model: str
    prompt_text: str
    stream: bool
    include_usage: bool
    max_tokens: int | None
    mock: object


def _bad(message: str, param: str | None) -> ApiError:
    return ApiError(400, message, param=param)


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(f"Invalid '{key}': expected an integer >= 1, got {value!r}.", key)
    return value


def _message_text(messages: object) -> str:
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' must be a non-empty array.", "messages")
    parts: list[str] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise _bad(
                f"Invalid 'messages[{i}]': expected an object with a 'role'.", f"messages[{i}]"
            )
        content = msg.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
            )
        elif content is not None:
            raise _bad(
                f"Invalid 'messages[{i}].content': expected a string or an array.",
                f"messages[{i}].content",
            )
    return "\n".join(parts)


def _prompt_text(prompt: object) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return "\n".join(prompt)
    raise _bad("Invalid 'prompt': expected a string or an array of strings.", "prompt")


def parse_request(endpoint: Endpoint, raw: bytes) -> CompletionRequest:
    """Parse and validate a chat or legacy completion body."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(f"We could not parse the JSON body of your request: {exc}", None) from exc
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.", None)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("you must provide a model parameter", "model")
    if endpoint == "chat":
        if "messages" not in body:
            raise _bad("Missing required parameter: 'messages'.", "messages")
        text = _message_text(body["messages"])
    else:
        if "prompt" not in body:
            raise _bad("Missing required parameter: 'prompt'.", "prompt")
        text = _prompt_text(body["prompt"])
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _bad(f"Invalid 'stream': expected a boolean, got {stream!r}.", "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _bad("Invalid 'stream_options': expected an object.", "stream_options")
    if options is not None and not stream:
        raise _bad(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    include_usage = bool(options and options.get("include_usage"))
    max_tokens = _optional_int(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _optional_int(body, "max_tokens")
    return CompletionRequest(
        endpoint=endpoint,
        model=model,
        prompt_text=text,
        stream=stream,
        include_usage=include_usage,
        max_tokens=max_tokens,
        mock=body.get("mock"),
    )
