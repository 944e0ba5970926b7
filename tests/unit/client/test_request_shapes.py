"""Request shapes: the body every preset builds, the template, headers, and refusals."""

from __future__ import annotations

import json

import pytest

from loadtests.client.endpoints import Endpoint, mock_endpoint, service_endpoint, shaping_headers
from loadtests.client.marker import Shaping
from loadtests.client.request_shapes import RequestShape, parse_header
from loadtests.client.response_shapes import OPENAI_CHAT, SERVICE_SSE


def body(shape: RequestShape, prompt: str = "P", **kwargs: object) -> object:
    return json.loads(shape.body(prompt, **kwargs))  # type: ignore[arg-type]


def test_prompt_preset() -> None:
    """Today's body; model and max_tokens never go into it."""
    assert body(RequestShape(), max_tokens=5, model="m") == {"prompt": "P"}


def test_messages_preset() -> None:
    assert body(RequestShape("messages"), max_tokens=5) == {
        "messages": [{"role": "user", "content": "P"}]
    }


def test_openai_chat_preset() -> None:
    assert body(RequestShape("openai-chat"), max_tokens=60, model="mock-gpt") == {
        "model": "mock-gpt",
        "messages": [{"role": "user", "content": "P"}],
        "stream": True,
        "max_tokens": 60,
        "stream_options": {"include_usage": True},
    }


def test_openai_completions_preset_leaves_out_unknown_fields() -> None:
    """No model and no max_tokens given: neither key is sent."""
    assert body(RequestShape("openai-completions")) == {"prompt": "P", "stream": True}
    assert body(RequestShape("openai-completions"), max_tokens=3, model="m") == {
        "model": "m",
        "prompt": "P",
        "stream": True,
        "max_tokens": 3,
    }


@pytest.mark.parametrize(
    "prompt", ['say "hi"', "two\nlines", "back\\slash", "tab\tand\u2028", "emoji 🚀 and é", ""]
)
def test_template_escapes_the_prompt(prompt: str) -> None:
    """Quotes, newlines, backslashes: the body stays valid JSON holding the exact prompt."""
    shape = RequestShape(template='{"input": "{prompt}", "stream": true, "n": [1]}')
    assert json.loads(shape.body(prompt)) == {"input": prompt, "stream": True, "n": [1]}


def test_template_keeps_its_own_text_and_replaces_every_placeholder() -> None:
    shape = RequestShape(template='{"a":  "<{prompt}>", "b": {"c": "{prompt}"}}')
    assert shape.body('x"y') == b'{"a":  "<x\\"y>", "b": {"c": "x\\"y"}}'
    assert shape.name == "body template"


def test_template_without_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"--body has no \{prompt\} placeholder"):
        RequestShape(template='{"input": "hello"}')


@pytest.mark.parametrize("template", ['{"input": {prompt}}', '{"input": "{prompt}"', "not json"])
def test_template_that_is_not_json_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="--body is not valid JSON"):
        RequestShape(template=template)


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown request shape 'graphql'"):
        RequestShape("graphql")  # type: ignore[arg-type]


def test_headers_are_parsed_and_checked() -> None:
    assert parse_header("Authorization:  Bearer abc ") == ("Authorization", "Bearer abc")
    shape = RequestShape.from_options("prompt", headers=["X-Team: a", "Authorization: b"])
    assert shape.headers == (("X-Team", "a"), ("Authorization", "b"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NoColon", "expected 'Name: value'"),
        ("Bad Name: v", "expected 'Name: value'"),
        (": v", "expected 'Name: value'"),
        ("Content-Length: 3", "the harness sets content-length itself"),
        ("x-request-id: 1", "the harness sets x-request-id itself"),
    ],
)
def test_bad_headers_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_header(text)


def test_header_value_with_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        RequestShape(headers=(("X-A", "a\r\nX-B: b"),))


# --- the endpoint puts the marker in the prompt ----------------------------------------


def test_service_endpoint_body_carries_the_marker() -> None:
    endpoint = service_endpoint("reference", "http://127.0.0.1:1")
    out = json.loads(endpoint.body(request_id="r-1", shaping=Shaping(tokens=5), max_tokens=5))
    assert out == {"prompt": "Say something. [sg:r-1 tokens=5]"}
    assert endpoint.response == SERVICE_SSE


def test_mock_endpoint_is_openai_chat_both_ways() -> None:
    endpoint = mock_endpoint("http://127.0.0.1:1/")
    out = json.loads(endpoint.body(request_id="r", max_tokens=20, prompt="Hi"))
    assert out["messages"] == [{"role": "user", "content": "Hi [sg:r]"}]
    assert out["max_tokens"] == 20
    assert out["model"] == "mock-gpt"
    assert endpoint.response == OPENAI_CHAT
    assert endpoint.url == "http://127.0.0.1:1/v1/chat/completions"


def test_endpoint_body_refuses_a_bad_request_id() -> None:
    with pytest.raises(ValueError, match="cannot go in a marker"):
        service_endpoint("s", "http://h:1").body(request_id="a b")


def test_endpoint_headers_put_mock_headers_over_the_shape_headers() -> None:
    endpoint = Endpoint("t", "http://h:1/x", RequestShape(headers=(("Authorization", "k"),)))
    assert endpoint.headers({"x-mock-tokens": "3"}) == {
        "Authorization": "k",
        "x-mock-tokens": "3",
    }


def test_older_format_argument_still_means_the_old_pairs() -> None:
    """``format="openai"``: chat both ways; ``"service"``: prompt + sse-json token."""
    openai = Endpoint(name="t", url="http://h:1/v1/chat/completions", format="openai")
    assert openai.request.preset == "openai-chat"
    assert openai.response == OPENAI_CHAT
    assert openai.format == "openai"
    assert Endpoint(name="t", url="http://h:1/x", format="service").format == "service"


def test_shaping_headers_say_what_the_marker_says() -> None:
    headers = shaping_headers(Shaping(ttft_ms=20.0, tokens=3, fault="drop", fault_at=2))
    assert headers == {
        "x-mock-ttft-ms": "20.0",
        "x-mock-tokens": "3",
        "x-mock-fault": '{"kind": "drop", "at": 2}',
    }
    assert shaping_headers(None) == {}
