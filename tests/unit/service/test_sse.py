"""The wire format: every token survives as one JSON-wrapped event."""

from __future__ import annotations

import json

import pytest

from mock_llm.engine.vocabulary import HARD
from service.sse import DONE_EVENT, error_event, token_event


@pytest.mark.parametrize("token", [*HARD, "plain", ""])
def test_token_event_is_one_event_whose_json_holds_the_token(token: str) -> None:
    event = token_event(token)
    assert event.startswith(b"data: ")
    assert event.endswith(b"\n\n")
    body = event[len(b"data: ") : -2]
    assert b"\n" not in body
    assert b"\r" not in body
    assert json.loads(body) == {"token": token}


def test_non_ascii_is_sent_as_utf8_not_escaped() -> None:
    assert token_event("中文🙂") == 'data: {"token":"中文🙂"}\n\n'.encode()


def test_error_event_shape() -> None:
    event = error_event("upstream_timeout", "The model did not respond in time.")
    assert json.loads(event[len(b"data: ") : -2]) == {
        "error": {"type": "upstream_timeout", "message": "The model did not respond in time."}
    }


def test_done_event() -> None:
    assert DONE_EVENT == b"data: [DONE]\n\n"
