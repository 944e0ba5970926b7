"""How a streaming server answers the request a default nginx sends it.

nginx's ``proxy_pass`` speaks HTTP/1.0 to the upstream unless told otherwise. Whether
its default ``proxy_buffering on`` then holds an SSE stream depends on two things in
the upstream's response head, both measured here with one such request (closed as soon
as the head arrives):

- ``X-Accel-Buffering: no`` switches buffering off for that response;
- the framing. A close-delimited body (what HTTP/1.0 calls for) is read into nginx's
  buffers and relayed per 4 KB buffer or at the end. A ``Transfer-Encoding: chunked``
  body, which uvicorn's httptools protocol sends even to an HTTP/1.0 request, is
  relayed chunk by chunk: the stream is not held (docs/pitfalls/proxy_buffering.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..client.stream_client import Target

__all__ = ["Framing", "UpstreamHead", "parse_head", "probe_http10"]

Framing = Literal["chunked", "content-length", "close"]
_MAX_HEAD_BYTES = 65_536


@dataclass(frozen=True, slots=True)
class UpstreamHead:
    """Status and lower-cased headers of one response head."""

    status: int
    headers: Mapping[str, str]

    @property
    def framing(self) -> Framing:
        """How the body is delimited (RFC 9112 section 6.3)."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return "chunked"
        if "content-length" in self.headers:
            return "content-length"
        return "close"

    @property
    def accel_buffering_off(self) -> bool:
        """``X-Accel-Buffering: no``: nginx relays this response unbuffered."""
        return self.headers.get("x-accel-buffering", "").strip().lower() == "no"


def parse_head(raw: bytes) -> UpstreamHead:
    """Parse ``HTTP/1.x NNN reason`` and header lines (up to the blank line)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status_line, *lines = head.split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {status_line!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return UpstreamHead(status=int(parts[1]), headers=headers)


async def probe_http10(
    url: str,
    body: Mapping[str, object],
    *,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 10.0,
) -> UpstreamHead:
    """POST ``body`` to ``url`` as nginx's defaults would (HTTP/1.0, close); read the head.

    Raises ``OSError``/``TimeoutError`` on transport failure, ``ValueError`` on a
    response that is not HTTP.
    """
    target = Target.parse(url)
    payload = json.dumps(body).encode()
    lines = [
        f"POST {target.path} HTTP/1.0",
        f"Host: {target.host}:{target.port}",
        "Connection: close",
        "Content-Type: application/json",
        f"Content-Length: {len(payload)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    async with asyncio.timeout(timeout_s):
        reader, writer = await asyncio.open_connection(
            target.host, target.port, limit=_MAX_HEAD_BYTES
        )
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as exc:
            raise ValueError(f"response head over {_MAX_HEAD_BYTES} bytes") from exc
        except asyncio.IncompleteReadError as exc:
            raise ValueError(
                f"connection closed inside the response head: {exc.partial!r}"
            ) from exc
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    return parse_head(raw)
