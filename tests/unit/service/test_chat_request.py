"""Request bodies: exactly one of prompt/messages, strict types, bounded sizes."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from starlette.requests import Request
from starlette.types import Message

from service.chat_request import ChatRequest, parse_chat_request
from service.errors import ServiceError
from service.settings import ServiceSettings

SETTINGS = ServiceSettings(max_prompt_chars=10, max_messages=2, max_output_tokens=50,
                           max_body_bytes=1024)  # fmt: skip


def _request(body: bytes, headers: Mapping[str, str] | None = None) -> Request:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    raw = {"content-type": "application/json", **(headers or {})}
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/chat/stream",
        "headers": [(k.encode(), v.encode()) for k, v in raw.items()],
    }
    return Request(scope, receive)


async def _status_of(body: bytes, headers: Mapping[str, str] | None = None) -> int:
    with pytest.raises(ServiceError) as info:
        await parse_chat_request(_request(body, headers), SETTINGS)
    return info.value.status


async def test_prompt_becomes_one_user_message() -> None:
    chat = await parse_chat_request(_request(b'{"prompt": "hello", "max_tokens": 5}'), SETTINGS)
    assert chat.upstream_messages() == [{"role": "user", "content": "hello"}]
    assert chat.max_tokens == 5


async def test_messages_keep_roles() -> None:
    body = b'{"messages": [{"role": "system", "content": "be"}, {"role": "user", "content": "hi"}]}'
    chat = await parse_chat_request(_request(body), SETTINGS)
    assert [m["role"] for m in chat.upstream_messages()] == ["system", "user"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{", 400),
        (b'{"prompt": 1}', 422),
        (b'{"prompt": "a", "messages": [{"role": "user", "content": "b"}]}', 422),
        (b'{"prompt": "01234567890"}', 422),  # 11 chars > 10
        (b'{"messages": [' + b",".join([b'{"role": "user", "content": "a"}'] * 3) + b"]}", 422),
        (b'{"prompt": "a", "max_tokens": 51}', 422),
        (b'{"prompt": "a", "max_tokens": true}', 422),
        (b" " * 1025, 413),
    ],
)
async def test_rejections(body: bytes, status: int) -> None:
    assert await _status_of(body) == status


async def test_declared_length_over_the_limit_is_413_before_reading() -> None:
    assert await _status_of(b"{}", {"content-length": "999999"}) == 413


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_content_type_must_be_json(ctype: str) -> None:
    assert await _status_of(b'{"prompt": "a"}', {"content-type": ctype}) == 415


async def test_json_content_type_with_charset_is_fine() -> None:
    request = _request(b'{"prompt": "a"}', {"content-type": "application/json; charset=utf-8"})
    assert (await parse_chat_request(request, SETTINGS)).prompt == "a"


def test_prompt_chars_counts_all_messages() -> None:
    chat = ChatRequest.model_validate(
        {"messages": [{"role": "user", "content": "abc"}, {"role": "assistant", "content": "de"}]}
    )
    assert chat.prompt_chars() == 5
