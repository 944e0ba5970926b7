"""Driving a mock server in-process: a transport that keeps what is written, raw requests."""

from __future__ import annotations

import json


class SinkTransport:
    """Stands in for uvloop's transport: keeps every write, never blocks."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def request(stream: bool, **extra: object) -> bytes:
    """A chat completion request for the default model, ``extra`` merged into the body."""
    body = json.dumps(
        {
            "model": "mock-gpt",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": stream,
            **extra,
        }
    ).encode()
    return raw_post(body)


def raw_post(
    body: bytes, path: bytes = b"/v1/chat/completions", headers: dict[str, str] | None = None
) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()
    return (
        b"POST %b HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%b"
        b"Content-Length: %d\r\n\r\n%b" % (path, extra, len(body), body)
    )
