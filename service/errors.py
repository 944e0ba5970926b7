"""Errors the client sees: one JSON shape, fixed texts, nothing from upstream.

Upstream failures are classified into a :class:`UpstreamFailure` whose message
is ours, never the upstream's: upstream error texts may quote our request, our
key's prefix or internal hostnames. The exception itself goes to the log.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

import openai
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .sse import error_event

logger = logging.getLogger("service")

_RETRY_AFTER = re.compile(r"^\d{1,6}$")
DEFAULT_RETRY_AFTER = "1"


class ServiceError(Exception):
    """A request the service refuses, rendered as ``{"error": {...}}`` with ``status``."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        details: list[dict[str, object]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_body(error_type: str, message: str, details: list[dict[str, object]] | None) -> bytes:
    error: dict[str, object] = {"type": error_type, "message": message}
    if details:
        error["details"] = details
    return json.dumps({"error": error}, separators=(",", ":"), default=str).encode()


def error_response(error: ServiceError) -> Response:
    return Response(
        error_body(error.error_type, error.message, error.details),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )


async def service_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(exc)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette's 404/405 in our shape instead of ``{"detail": ...}``."""
    status = int(getattr(exc, "status_code", 500))
    detail = str(getattr(exc, "detail", "error"))
    headers = getattr(exc, "headers", None)
    return JSONResponse(
        {"error": {"type": "http_error", "message": detail}}, status_code=status, headers=headers
    )


@dataclass(frozen=True)
class UpstreamFailure:
    """How an upstream failure is reported: HTTP status before the first token, event after."""

    status: int
    error_type: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def as_service_error(self) -> ServiceError:
        return ServiceError(self.status, self.error_type, self.message, headers=self.headers)

    def as_event(self) -> bytes:
        return error_event(self.error_type, self.message)


_TIMEOUT = UpstreamFailure(504, "upstream_timeout", "The model did not respond in time.")
_UNREACHABLE = UpstreamFailure(502, "upstream_unavailable", "The connection to the model failed.")
_BROKEN = UpstreamFailure(502, "upstream_error", "The model failed while answering.")
_MALFORMED = UpstreamFailure(502, "upstream_malformed", "The model sent an unreadable reply.")
_REJECTED = UpstreamFailure(
    502, "upstream_rejected", "The model rejected the service's request (configuration)."
)
INCOMPLETE = UpstreamFailure(
    502, "upstream_incomplete", "The model's reply ended before it was complete."
)


def _retry_after(response_headers: object) -> str:
    value = getattr(response_headers, "get", lambda _k: None)("retry-after")
    if isinstance(value, str) and _RETRY_AFTER.match(value.strip()):
        return value.strip()
    return DEFAULT_RETRY_AFTER


_BAD_REQUEST = UpstreamFailure(
    400, "upstream_bad_request", "The model rejected this request as invalid."
)
_BY_STATUS: dict[int, UpstreamFailure] = {400: _BAD_REQUEST, 408: _TIMEOUT}
# Order matters: APITimeoutError is an APIConnectionError is an APIError.
# A bare APIError is an error event inside the stream (no HTTP status of its
# own); ValueError covers json.JSONDecodeError and pydantic.ValidationError.
_BY_TYPE: tuple[tuple[type[BaseException], UpstreamFailure], ...] = (
    (openai.APITimeoutError, _TIMEOUT),
    (openai.APIConnectionError, _UNREACHABLE),
    (openai.APIError, _BROKEN),
    (ValueError, _MALFORMED),
)


def _status_failure(exc: openai.APIStatusError) -> UpstreamFailure:
    status = exc.status_code
    if status == 429:
        return UpstreamFailure(
            429,
            "upstream_rate_limited",
            "The model is rate limited; retry after the given delay.",
            {"Retry-After": _retry_after(exc.response.headers)},
        )
    # Other 4xx mean the service's own request or credentials are wrong: not
    # something the end client can fix, so a 502 rather than the upstream 4xx.
    return _BY_STATUS.get(status, _REJECTED if status < 500 else _BROKEN)


def classify_upstream_error(exc: BaseException) -> UpstreamFailure | None:
    """Map an SDK or decoding error to what the client is told; ``None``: not upstream's."""
    if isinstance(exc, openai.APIStatusError):
        return _status_failure(exc)
    for kind, failure in _BY_TYPE:
        if isinstance(exc, kind):
            return failure
    return None


def log_upstream_error(exc: BaseException, request_id: str, failure: UpstreamFailure) -> None:
    logger.warning(
        "upstream failure request_id=%s reported=%s cause=%s: %s",
        request_id,
        failure.error_type,
        type(exc).__name__,
        exc,
    )
