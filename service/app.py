"""``create_app(settings)``: the FastAPI app of one service process.

Nothing lives at module level: clients, metrics, the lag probe and the stall
watchdog belong to the app built here, so tests can build several side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
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


@dataclass
class _Running:
    """What exists only between lifespan startup and shutdown."""

    context: StreamContext
    watchdog: StallWatchdog


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
    (FACTS.md reproduced the published recipe's leak with a 40 ms sleep in send).
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


def create_app(settings: ServiceSettings) -> FastAPI:
    metrics = ServiceMetrics(settings.variant)
    handler = HANDLERS[settings.variant]
    running: list[_Running] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_up:
            await warm_up.warm_up_async()
            if settings.variant in SYNC_VARIANTS:
                await warm_up.warm_up_sync()
        context = StreamContext(
            settings=settings,
            metrics=metrics,
            async_client=upstream.async_client(settings),
            sync_client=upstream.sync_client(settings),
            reference_client=upstream.reference_client(settings),
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
            # ~140k long-lived objects exist by now (SDK, schemas, warm-up) and
            # every full collection would rescan them on the loop thread (the
            # ones at startup took 40-150 ms here). Frozen, a full collection
            # under 100 streams scanned ~20k objects in 14 ms.
            gc.collect()
            gc.freeze()
        probe_task = asyncio.create_task(probe.run(), name="lag-probe")
        watchdog.start()
        running.append(_Running(context, watchdog))
        try:
            yield
        finally:
            running.clear()
            watchdog.stop()
            probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probe_task
            await context.async_client.close()
            await context.reference_client.close()
            context.sync_client.close()

    def current() -> _Running:
        if not running:
            raise ServiceError(503, "not_ready", "the service is starting or stopping")
        return running[0]

    app = FastAPI(title="streamgauge service", lifespan=lifespan, docs_url=None, redoc_url=None)
    if settings.send_delay_ms > 0:
        app.add_middleware(SendDelayMiddleware, delay_s=settings.send_delay_ms / 1000)
    app.add_middleware(RequestIdMiddleware)
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(Exception, _internal_error_handler)
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

    return app
