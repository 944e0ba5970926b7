"""The upstream side: SDK clients from settings, the per-request call, chunk reading.

Chunk rules (shared by every variant): a chunk's text is ``choices[0].delta.content``
when non-empty; the role-only first chunk (``content == ""``) and the usage chunk
(``choices == []`` under ``include_usage``) carry no token.
"""

from __future__ import annotations

import re
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypedDict
from urllib.parse import urlsplit

import httpx2
import openai
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionStreamOptionsParam,
)

from .settings import ServiceSettings
from .upstream_transport import LeanTransport

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_MOCK_PREFIX = "x-mock-"


def request_id_from(headers: Mapping[str, str]) -> str:
    """The client's ``x-request-id`` when it is a sane token, else a fresh one."""
    given = headers.get(REQUEST_ID_HEADER)
    if given is not None and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


class StreamArgs(TypedDict):
    model: str
    messages: list[ChatCompletionMessageParam]
    max_tokens: int | None
    stream: Literal[True]
    stream_options: ChatCompletionStreamOptionsParam
    extra_headers: dict[str, str]


@dataclass(frozen=True)
class UpstreamCall:
    """What one ``/chat/stream`` request asks of the upstream."""

    model: str
    messages: list[ChatCompletionMessageParam]
    max_tokens: int | None
    headers: dict[str, str]

    def stream_args(self) -> StreamArgs:
        """The SDK's ``create(stream=True)`` arguments: every variant sends the same request."""
        return StreamArgs(
            model=self.model,
            messages=self.messages,
            max_tokens=self.max_tokens,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=self.headers,
        )


def forwarded_headers(
    request_id: str, client_headers: Mapping[str, str], settings: ServiceSettings
) -> dict[str, str]:
    """``x-request-id`` always; ``X-Mock-*`` only when the settings allow it."""
    out = {REQUEST_ID_HEADER: request_id}
    if settings.forward_mock_headers:
        for name, value in client_headers.items():
            if name.lower().startswith(_MOCK_PREFIX):
                out[name.lower()] = value
    return out


def _timeout(settings: ServiceSettings) -> httpx2.Timeout:
    return httpx2.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)


def env_proxy_applies(url: str) -> bool:
    """Whether ``*_proxy`` environment variables route ``url`` through a proxy."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")  # honours no_proxy


def async_client(
    settings: ServiceSettings, http_client: httpx2.AsyncClient | None = None
) -> openai.AsyncOpenAI:
    """The SDK client; ``http_client=None`` is the SDK's own HTTP stack."""
    return openai.AsyncOpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.upstream_base_url,
        timeout=_timeout(settings),
        max_retries=settings.max_retries,
        http_client=http_client,
    )


def fast_client(settings: ServiceSettings) -> openai.AsyncOpenAI:
    """reference_fast's client: on :class:`LeanTransport` unless asked not to or a proxy applies."""
    if settings.upstream_http == "lean" and not env_proxy_applies(settings.upstream_base_url):
        return async_client(settings, openai.DefaultAsyncHttpxClient(transport=LeanTransport()))
    return async_client(settings)


def sync_client(settings: ServiceSettings) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.upstream_base_url,
        timeout=_timeout(settings),
        max_retries=settings.max_retries,
    )


def chunk_text(chunk: ChatCompletionChunk) -> str | None:
    """The token text of a chunk, or ``None`` (role-only, empty, usage-only)."""
    if not chunk.choices:
        return None
    content = chunk.choices[0].delta.content
    return content or None


def chunk_finished(chunk: ChatCompletionChunk) -> bool:
    return bool(chunk.choices) and chunk.choices[0].finish_reason is not None
