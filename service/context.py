"""What a variant's handler gets: settings, metrics, clients, and the request's call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import openai
from starlette.requests import Request
from starlette.responses import Response

from .chat_request import ChatRequest
from .errors import INCOMPLETE, UpstreamFailure, classify_upstream_error, log_upstream_error
from .metrics import ServiceMetrics
from .settings import ServiceSettings
from .upstream import UpstreamCall, forwarded_headers

REQUEST_ID_SCOPE_KEY = "streamgauge.request_id"
# SSE responses must not be cached or buffered by proxies: nginx streams a
# response that says X-Accel-Buffering: no (tests/proxy/test_buffering.py).
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
    # The SDK's own HTTP stack: the reference and every teaching variant.
    async_client: openai.AsyncOpenAI
    sync_client: openai.OpenAI
    # reference_fast's: on the lean transport unless settings say otherwise.
    fast_client: openai.AsyncOpenAI

    def call_for(self, request: Request, chat: ChatRequest) -> UpstreamCall:
        return UpstreamCall(
            model=chat.model or self.settings.model,
            messages=chat.upstream_messages(),
            max_tokens=chat.max_tokens,
            headers=forwarded_headers(request_id_of(request), request.headers, self.settings),
        )

    def upstream_failure(self, exc: BaseException, request: Request) -> UpstreamFailure | None:
        """What the client is told about ``exc`` (logged, counted); ``None``: not upstream's."""
        failure = classify_upstream_error(exc)
        if failure is not None:
            log_upstream_error(exc, request_id_of(request), failure)
            self.metrics.upstream_errors.labels(type=failure.error_type).inc()
        return failure

    def incomplete_event(self) -> bytes:
        """The last event of a reply that ended without a ``finish_reason`` (counted)."""
        self.metrics.upstream_errors.labels(type=INCOMPLETE.error_type).inc()
        return INCOMPLETE.as_event()


StreamHandler = Callable[[Request, ChatRequest, StreamContext], Awaitable[Response]]
