"""The Locust users get the target's path, shapes and model as the suite's own flags."""

from __future__ import annotations

import argparse

import pytest

from loadtests.capacity.system import suite_shape_args
from loadtests.client.endpoints import Endpoint, service_endpoint
from loadtests.client.request_shapes import RequestShape
from loadtests.client.response_shapes import ResponseShape
from loadtests.locust_suite.options import add_arguments, config_from


def _suite_endpoint(flags: list[str]) -> Endpoint:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return config_from(parser.parse_args(flags)).endpoint


ENDPOINTS = {
    "embedded": service_endpoint("target", "http://127.0.0.1:9"),
    "messages, text": Endpoint(
        "target",
        "http://127.0.0.1:9/v1/chat",
        RequestShape("messages"),
        ResponseShape("text"),
    ),
    "template, header, ndjson field": Endpoint(
        "target",
        "http://127.0.0.1:9/api/chat",
        RequestShape(
            template='{"input": "{prompt}", "stream": true}',
            headers=(("Authorization", "Bearer k"),),
        ),
        ResponseShape("ndjson", "message.content"),
    ),
    "openai-chat with its model": Endpoint(
        "target",
        "http://127.0.0.1:9/v1/chat/completions",
        RequestShape("openai-chat"),
        ResponseShape("openai-chat"),
        model="llama-3",
    ),
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_the_suite_rebuilds_the_same_endpoint_from_the_flags(name: str) -> None:
    """Path, request shape (template and headers too), response shape and model survive."""
    endpoint = ENDPOINTS[name]
    rebuilt = _suite_endpoint(suite_shape_args(endpoint))
    assert rebuilt.url == endpoint.url.removeprefix(endpoint.base_url)
    assert rebuilt.request == endpoint.request
    assert rebuilt.response == endpoint.response
    if endpoint.request.preset.startswith("openai"):
        assert rebuilt.model == endpoint.model


def test_the_embedded_service_is_told_its_contract_explicitly() -> None:
    """``{"prompt"}`` in, ``data: {"token"}`` out: no auto-detection for our own service."""
    flags = suite_shape_args(service_endpoint("target", "http://127.0.0.1:9"))
    assert flags == [
        "--stream-path", "/chat/stream",
        "--request-shape", "prompt",
        "--response-shape", "sse-json",
        "--token-field", "token",
    ]  # fmt: skip
