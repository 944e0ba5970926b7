"""Upstream failures map to what the client is told, in our words only."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest

from service.errors import INCOMPLETE, ServiceError, classify_upstream_error, error_body

REQUEST = httpx2.Request("POST", "http://upstream.internal:8100/v1/chat/completions")


def _status(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    response = httpx2.Response(status, headers=headers or {}, request=REQUEST)
    secret = "upstream says: key sk-live-123 at upstream.internal"
    cls = openai.RateLimitError if status == 429 else openai.APIStatusError
    return cls(secret, response=response, body={"message": secret})


@pytest.mark.parametrize(
    ("exc", "status", "error_type"),
    [
        (openai.APITimeoutError(request=REQUEST), 504, "upstream_timeout"),
        (openai.APIConnectionError(request=REQUEST), 502, "upstream_unavailable"),
        (_status(500), 502, "upstream_error"),
        (_status(503), 502, "upstream_error"),
        (_status(401), 502, "upstream_rejected"),
        (_status(404), 502, "upstream_rejected"),
        (_status(400), 400, "upstream_bad_request"),
        (_status(408), 504, "upstream_timeout"),
        (_status(429), 429, "upstream_rate_limited"),
        (openai.APIError("mid-stream", REQUEST, body=None), 502, "upstream_error"),
        (json.JSONDecodeError("bad", "{", 0), 502, "upstream_malformed"),
    ],
)
def test_classification(exc: BaseException, status: int, error_type: str) -> None:
    failure = classify_upstream_error(exc)
    assert failure is not None
    assert (failure.status, failure.error_type) == (status, error_type)
    text = failure.as_event().decode() + failure.message
    assert "sk-live" not in text
    assert "upstream.internal" not in text


def test_not_an_upstream_error_is_not_classified() -> None:
    assert classify_upstream_error(KeyError("x")) is None


@pytest.mark.parametrize(
    ("given", "sent"),
    [("7", "7"), (" 12 ", "12"), ("Wed, 21 Oct 2026 07:28:00 GMT", "1"), ("-1", "1"), (None, "1")],
)
def test_retry_after_is_passed_only_when_it_is_seconds(given: str | None, sent: str) -> None:
    failure = classify_upstream_error(_status(429, {"retry-after": given} if given else None))
    assert failure is not None
    assert failure.headers == {"Retry-After": sent}


def test_incomplete_stream_failure() -> None:
    assert INCOMPLETE.status == 502
    assert json.loads(INCOMPLETE.as_event()[6:-2])["error"]["type"] == "upstream_incomplete"


def test_error_body_shape() -> None:
    err = ServiceError(422, "invalid_request", "bad", details=[{"loc": ["prompt"]}])
    assert json.loads(error_body(err.error_type, err.message, err.details)) == {
        "error": {"type": "invalid_request", "message": "bad", "details": [{"loc": ["prompt"]}]}
    }
