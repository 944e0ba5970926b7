"""What a variant's handler gets: settings, metrics, clients, and the request's call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import openai
from starlette.requests import Request
from starlette.responses import Response

from .chat_request import ChatRequest
from .metrics import ServiceMetrics
from .settings import ServiceSettings
from .upstream import UpstreamCall, forwarded_headers

REQUEST_ID_SCOPE_KEY = "streamgauge.request_id"
# SSE responses must not be cached or buffered by proxies (nginx honours the
# X-Accel-Buffering header; FACTS.md "Proxies").
STREAM_HEADERS: dict[str, str] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def request_id_of(request: Request) -> str:
    value = request.scope.get(REQUEST_ID_SCOPE_KEY)
    assert isinstance(value, str), "RequestIdMiddleware must run first"
    return value


@dataclass(frozen=True)
class StreamContext:
    """Built once at startup (lifespan), shared by every request of one app."""

    settings: ServiceSettings
    metrics: ServiceMetrics
    # The SDK's own HTTP stack, for the teaching variants: what they demonstrate
    # depends on it (a buffered chunk instead of a socket read moves where a
    # cancellation lands; tests/integration/test_service_disconnect.py).
    async_client: openai.AsyncOpenAI
    sync_client: openai.OpenAI
    # The reference's: on the lean transport unless settings say otherwise.
    reference_client: openai.AsyncOpenAI

    def call_for(self, request: Request, chat: ChatRequest) -> UpstreamCall:
        return UpstreamCall(
            model=chat.model or self.settings.model,
            messages=chat.upstream_messages(),
            max_tokens=chat.max_tokens,
            headers=forwarded_headers(request_id_of(request), request.headers, self.settings),
        )


StreamHandler = Callable[[Request, ChatRequest, StreamContext], Awaitable[Response]]
