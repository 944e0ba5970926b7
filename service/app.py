"""``create_app(settings)``: the FastAPI app of one service process.

Nothing lives at module level: clients, metrics, the lag probe and the stall
watchdog belong to the app built here, so tests can build several side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from fastapi import Depends, FastAPI
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import upstream, warm_up
from .auth import bearer_dependency
from .chat_request import ChatRequest, parse_chat_request
from .context import REQUEST_ID_SCOPE_KEY, StreamContext
from .errors import ServiceError, error_body, http_exception_handler, service_error_handler
from .lag_probe import LagProbe
from .metrics import ServiceMetrics
from .settings import ServiceSettings
from .stall_watchdog import StallWatchdog
from .variants import HANDLERS, SYNC_VARIANTS

logger = logging.getLogger("service")


class RequestIdMiddleware:
    """Pick the request id (client's ``x-request-id`` or a new one) and echo it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = upstream.request_id_from(Headers(scope=scope))
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        header = (upstream.REQUEST_ID_HEADER.encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        await self.app(scope, receive, send_with_id)


async def _internal_error_handler(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", exc_info=exc)
    return Response(
        error_body("internal_error", "internal error", None),
        status_code=500,
        media_type="application/json",
    )


class SendDelayMiddleware:
    """Test knob: async work in the send path, ``delay_s`` after every body message.

    Stands for any middleware that awaits per chunk (an async audit log, token
    pacing). It matters for disconnects: with only uvicorn under ``send()``, a
    client that leaves wakes the blocked send in the same callback that reports
    the disconnect, so Starlette's cancel lands in the next upstream read and
    the SDK closes the stream itself. With an await of its own in ``send()``,
    the cancel lands there and leaves the body generator parked at ``yield``
    (docs/behaviours.md#client-disconnect;
    tests/integration/service/test_disconnect.py runs mode 2 on both stacks).
    """

    def __init__(self, app: ASGIApp, delay_s: float) -> None:
        self.app = app
        self.delay_s = delay_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_then_pause(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and message.get("more_body", False):
                await asyncio.sleep(self.delay_s)

        await self.app(scope, receive, send_then_pause if scope["type"] == "http" else send)


@dataclass
class _Running:
    """What exists only between lifespan startup and shutdown."""

    context: StreamContext
    watchdog: StallWatchdog
    probe_task: asyncio.Task[None]


async def _start(settings: ServiceSettings, metrics: ServiceMetrics) -> _Running:
    """Warm the clients up, build them, start the lag probe and the stall watchdog."""
    if settings.warm_up:
        await warm_up.warm_up_async()
        if settings.variant in SYNC_VARIANTS:
            await warm_up.warm_up_sync()
    context = StreamContext(
        settings=settings,
        metrics=metrics,
        async_client=upstream.async_client(settings),
        sync_client=upstream.sync_client(settings),
        fast_client=upstream.fast_client(settings),
    )
    probe = LagProbe(settings.lag_probe_interval_ms / 1000, metrics.observe_lag)
    watchdog = StallWatchdog(
        probe.heartbeat_ns,
        threshold_s=settings.stall_threshold_ms / 1000,
        probe_interval_s=probe.interval_s,
        keep=settings.stalls_kept,
        on_stall=metrics.record_stalls,
    )
    if settings.gc_freeze:
        # The SDK, its schemas and the warm-up leave many long-lived objects,
        # and every full collection would rescan them on the loop thread:
        # frozen, collections under load only scan what requests allocate.
        gc.collect()
        gc.freeze()
    probe_task = asyncio.create_task(probe.run(), name="lag-probe")
    watchdog.start()
    return _Running(context, watchdog, probe_task)


async def _stop(running: _Running) -> None:
    running.watchdog.stop()
    running.probe_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running.probe_task
    await running.context.async_client.close()
    await running.context.fast_client.close()
    running.context.sync_client.close()


def _install_error_handling(app: FastAPI, settings: ServiceSettings) -> None:
    """Request ids, the send-delay test knob, and every error in one JSON shape."""
    if settings.send_delay_ms > 0:
        app.add_middleware(SendDelayMiddleware, delay_s=settings.send_delay_ms / 1000)
    app.add_middleware(RequestIdMiddleware)
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(Exception, _internal_error_handler)


def _add_routes(
    app: FastAPI,
    settings: ServiceSettings,
    metrics: ServiceMetrics,
    current: Callable[[], _Running],
) -> None:
    handler = HANDLERS[settings.variant]
    auth = [Depends(bearer_dependency(
        settings.bearer_token.get_secret_value() if settings.bearer_token else None
    ))]  # fmt: skip

    @app.post(
        "/chat/stream",
        dependencies=auth,
        response_class=Response,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ChatRequest.model_json_schema()}},
            }
        },
    )
    async def chat_stream(request: Request) -> Response:
        """SSE: ``data: {"token": "..."}`` per token, then ``data: [DONE]``."""
        chat = await parse_chat_request(request, settings)
        return await handler(request, chat, current().context)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/debug/stalls", dependencies=auth)
    async def debug_stalls() -> JSONResponse:
        """The last loop stalls, newest first, with the stack the watchdog saw."""
        stalls = current().watchdog.stalls()
        return JSONResponse(
            {
                "variant": settings.variant,
                "threshold_ms": settings.stall_threshold_ms,
                "stalls": [s.as_dict() for s in stalls],
            }
        )


def create_app(settings: ServiceSettings) -> FastAPI:
    metrics = ServiceMetrics(settings.variant)
    running: list[_Running] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running.append(await _start(settings, metrics))
        try:
            yield
        finally:
            await _stop(running.pop())

    def current() -> _Running:
        if not running:
            raise ServiceError(503, "not_ready", "the service is starting or stopping")
        return running[0]

    app = FastAPI(title="streamgauge service", lifespan=lifespan, docs_url=None, redoc_url=None)
    _install_error_handling(app, settings)
    _add_routes(app, settings, metrics, current)
    return app
