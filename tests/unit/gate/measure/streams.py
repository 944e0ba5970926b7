"""Hand-built streams for the probes' pure functions."""

from __future__ import annotations

import json

from loadtests.client.records import RequestRecord
from loadtests.client.response_shapes import SERVICE_SSE, ResponseShape, read_record
from loadtests.gate.probes.waves import Stream


def sse(*data: str) -> bytes:
    return b"".join(f"data: {d}\n\n".encode() for d in data)


def token(text: str) -> str:
    return json.dumps({"token": text}, ensure_ascii=False)


def stream(
    arrivals_ns: list[int] | None = None,
    texts: list[str] | None = None,
    *,
    sent_ns: int = 0,
    closed_ns: int | None = None,
    done: bool = True,
    status: int = 200,
    error: str | None = None,
    complete: bool = True,
    extra: tuple[tuple[int, bytes], ...] = (),
    shape: ResponseShape = SERVICE_SSE,
    request_id: str = "r",
) -> Stream:
    """A sse-json stream: one read per token at ``arrivals_ns``, then ``[DONE]`` if done."""
    arrivals_ns = arrivals_ns or []
    texts = texts or ["t"] * len(arrivals_ns)
    reads = [(t, sse(token(x))) for t, x in zip(arrivals_ns, texts, strict=True)]
    reads.extend(extra)
    if done:
        reads.append(((arrivals_ns or [sent_ns])[-1], sse("[DONE]")))
    record = RequestRecord(
        request_id=request_id,
        scenario="test",
        target="http://x/",
        sent_ns=sent_ns,
        status=status,
        reads=reads,
        closed_ns=closed_ns if closed_ns is not None else (arrivals_ns or [sent_ns])[-1],
        error=error,
        complete=complete,
    )
    return Stream(record, read_record(record, shape))
