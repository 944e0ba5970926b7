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
    # Where the correlation marker may be: ``prompt_text[start:end]`` is the
    # last user message's text (chat) or the last prompt (completions).
    marker_span: tuple[int, int] = (0, 0)
    # vLLM's extension: generate exactly max_tokens, never stopping early.
    ignore_eos: bool = False


def _bad(message: str, param: str | None) -> ApiError:
    return ApiError(400, message, param=param)


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(f"Invalid '{key}': expected an integer >= 1, got {value!r}.", key)
    return value


def _joined(parts: list[str], first: int, stop: int) -> tuple[str, tuple[int, int]]:
    """``"\n".join(parts)`` and where ``parts[first:stop]`` sit in it."""
    start = sum(len(p) + 1 for p in parts[:first])
    end = start + max(0, sum(len(p) + 1 for p in parts[first:stop]) - 1)
    return "\n".join(parts), (start, end)


def _message_text(messages: object) -> tuple[str, tuple[int, int]]:
    """Every message's text joined by newlines, and the span of the last user message's."""
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' must be a non-empty array.", "messages")
    parts: list[str] = []
    user = (0, 0)  # parts[first:stop] of the last user message
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise _bad(
                f"Invalid 'messages[{i}]': expected an object with a 'role'.", f"messages[{i}]"
            )
        content = msg.get("content")
        first = len(parts)
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
        if msg["role"] == "user":
            user = (first, len(parts))
    return _joined(parts, *user)


def _prompt_text(prompt: object) -> tuple[str, tuple[int, int]]:
    """The prompt (several joined by newlines), and the span of the last one."""
    if isinstance(prompt, str):
        return prompt, (0, len(prompt))
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return _joined(prompt, len(prompt) - 1, len(prompt)) if prompt else ("", (0, 0))
    raise _bad("Invalid 'prompt': expected a string or an array of strings.", "prompt")


def _optional_bool(body: dict[str, Any], name: str) -> bool:
    """``false`` when absent or ``null``; a 400 for anything but a boolean."""
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _bad(f"Invalid '{name}': expected a boolean, got {value!r}.", name)
    return value


def _include_usage(body: dict[str, Any], stream: bool) -> bool:
    options = body.get("stream_options")
    if options is None:
        return False
    if not isinstance(options, dict):
        raise _bad("Invalid 'stream_options': expected an object.", "stream_options")
    if not stream:
        raise _bad(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    return bool(options.get("include_usage"))


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
        text, span = _message_text(body["messages"])
    else:
        if "prompt" not in body:
            raise _bad("Missing required parameter: 'prompt'.", "prompt")
        text, span = _prompt_text(body["prompt"])
    stream = _optional_bool(body, "stream")
    include_usage = _include_usage(body, stream)
    max_tokens = _optional_int(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _optional_int(body, "max_tokens")
    ignore_eos = _optional_bool(body, "ignore_eos")
    return CompletionRequest(
        endpoint=endpoint,
        model=model,
        prompt_text=text,
        stream=stream,
        include_usage=include_usage,
        max_tokens=max_tokens,
        mock=body.get("mock"),
        marker_span=span,
        ignore_eos=ignore_eos,
    )
