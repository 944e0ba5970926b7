"""Parsing the head a service sends to nginx's HTTP/1.0 request."""

from __future__ import annotations

import pytest

from loadtests.scenarios.proxy_framing import parse_head

HTTPTOOLS = (
    b"HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncache-control: no-cache\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\nconnection: close\r\n"
    b"transfer-encoding: chunked\r\n\r\ndata: {}"
)
H11 = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nX-Accel-Buffering: No\r\n\r\n"


def test_chunked_answer_without_accel_header() -> None:
    head = parse_head(HTTPTOOLS)
    assert head.status == 200
    assert head.framing == "chunked"
    assert head.accel_buffering_off is False
    assert head.headers["content-type"] == "text/event-stream; charset=utf-8"


def test_close_delimited_answer_with_accel_header_any_case() -> None:
    head = parse_head(H11)
    assert head.framing == "close"
    assert head.accel_buffering_off is True


def test_content_length_framing() -> None:
    head = parse_head(b"HTTP/1.0 413 Too Large\r\nContent-Length: 10\r\n\r\n")
    assert (head.status, head.framing) == (413, "content-length")


def test_accel_buffering_yes_is_not_off() -> None:
    assert not parse_head(b"HTTP/1.1 200 OK\r\nx-accel-buffering: yes\r\n\r\n").accel_buffering_off


@pytest.mark.parametrize("raw", [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 OK\r\n\r\n", b""])
def test_not_http_is_an_error(raw: bytes) -> None:
    with pytest.raises(ValueError, match="status line"):
        parse_head(raw)
