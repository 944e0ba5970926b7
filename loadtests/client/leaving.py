"""End users who leave early, three ways, each returning when they left (perf_counter_ns).

1. ``close_after``: read k content events, then close the socket.
2. ``stop_reading``: read k events, stop reading (tiny receive buffer) so the
   server ends up blocked in ``send()``, wait, then close. FACTS.md: this is
   where the published recipe leaks.
3. ``burst``: many users read k events each, then all close together.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import time
from collections.abc import Mapping

from .endpoints import Endpoint
from .records import RequestRecord
from .sse import SSEParser
from .stream_client import Target, stream_request
from .tokens import StreamFormat, extract_tokens


class ContentCounter:
    """Counts content events of one stream incrementally (a stop rule runs per read).

    Re-parsing the whole record on every read is quadratic; at 100 streams it
    saturated the client and made it leave late.
    """

    def __init__(self, fmt: StreamFormat) -> None:
        self._fmt = fmt
        self._parser = SSEParser()
        self._reads_seen = 0
        self.count = 0

    def __call__(self, record: RequestRecord) -> int:
        new = record.reads[self._reads_seen :]
        self._reads_seen = len(record.reads)
        for arrival_ns, data in new:
            events = [(arrival_ns, e) for e in self._parser.feed(data)]
            if events:
                self.count += len(extract_tokens(events, self._fmt).tokens)
        return self.count


async def close_after(
    endpoint: Endpoint,
    k: int,
    request_id: str,
    headers: Mapping[str, str],
    timeout_s: float = 30.0,
) -> RequestRecord:
    """Close after ``k`` content events; ``record.closed_ns`` is when the user left."""
    counter = ContentCounter(endpoint.format)
    return await stream_request(
        endpoint.url,
        endpoint.body(),
        request_id=request_id,
        scenario="disconnect",
        headers=headers,
        timeout_s=timeout_s,
        stop=lambda rec: counter(rec) >= k,
    )


async def burst(
    endpoint: Endpoint,
    *,
    users: int,
    k: int,
    tag: str,
    headers: Mapping[str, str],
    timeout_s: float = 30.0,
) -> list[RequestRecord]:
    """``users`` streams; once all have ``k`` events (or a 10 s cap), all close together.

    Each stream closes on its next read after the release, so "together" means
    within one inter-token gap of each other.
    """
    release = asyncio.Event()
    ready: set[str] = set()
    counters: dict[str, ContentCounter] = {}

    def stop(rec: RequestRecord) -> bool:
        counter = counters.setdefault(rec.request_id, ContentCounter(endpoint.format))
        if counter(rec) >= k:
            ready.add(rec.request_id)
            if len(ready) >= users:
                release.set()
        return release.is_set()

    async def release_anyway() -> None:
        await asyncio.sleep(10)
        release.set()

    guard = asyncio.create_task(release_anyway())
    try:
        return list(
            await asyncio.gather(
                *(
                    stream_request(
                        endpoint.url,
                        endpoint.body(),
                        request_id=f"{tag}-{i}",
                        scenario="disconnect",
                        headers=headers,
                        timeout_s=timeout_s,
                        stop=stop,
                    )
                    for i in range(users)
                )
            )
        )
    finally:
        guard.cancel()


def _stop_reading_blocking(
    *,
    endpoint: Endpoint,
    k: int,
    request_id: str,
    headers: Mapping[str, str],
    pause_s: float,
) -> tuple[int, int]:
    """Blocking socket client; returns (events read, left_ns). Runs in a thread."""
    target = Target.parse(endpoint.url)
    body = json.dumps(endpoint.body()).encode()
    head = [
        f"POST {target.path} HTTP/1.1",
        f"host: {target.host}:{target.port}",
        "content-type: application/json",
        "accept-encoding: identity",
        f"content-length: {len(body)}",
        f"x-request-id: {request_id}",
    ]
    head += [f"{name}: {value}" for name, value in headers.items()]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Small receive window before connect: the server's sends back up quickly.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    try:
        sock.connect((target.host, target.port))
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        seen = b""
        marker = b'"token"' if endpoint.format == "service" else b'"content":"'
        while seen.count(marker) < k:
            data = sock.recv(4096)
            if not data:
                break
            seen += data
        time.sleep(pause_s)  # not reading: the server fills its buffers, then blocks in send
    finally:
        left_ns = time.perf_counter_ns()  # before close: the peer may react within microseconds
        sock.close()
    return seen.count(marker), left_ns


async def stop_reading(
    endpoint: Endpoint,
    k: int,
    request_id: str,
    headers: Mapping[str, str],
    pause_s: float = 1.5,
) -> RequestRecord:
    loop = asyncio.get_running_loop()
    sent = time.perf_counter_ns()
    events, left = await loop.run_in_executor(
        None,
        functools.partial(
            _stop_reading_blocking,
            endpoint=endpoint,
            k=k,
            request_id=request_id,
            headers=headers,
            pause_s=pause_s,
        ),
    )
    record = RequestRecord(
        request_id=request_id,
        scenario="disconnect",
        target=endpoint.url,
        sent_ns=sent,
        closed_ns=left,
    )
    if events < k:
        record.error = f"stream ended after {events} events, before the user could leave"
    return record
