"""Benchmark: which HTTP client times streams accurately at 100 and 500 streams?

For each client, every stream's first-token arrival is compared with the
mock's own write time for that token (the ledger; same CLOCK_MONOTONIC).
Clients: our raw asyncio+httptools client (``loadtests.client.stream_client``) and
httpx (``AsyncClient.stream`` + ``aiter_raw``), stamping at each chunk. Mock
pinned to CPU 0, the client to CPU 1. Starts are spread over 0.5 s.

Run: ``python -m tests.bench.client_accuracy``; writes
``results/bench/client_accuracy.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import uvloop

from loadtests.client.ledger import fetch_records, reset
from loadtests.client.records import RequestRecord
from loadtests.client.stream_client import stream_request
from loadtests.client.tokens import tokens_from_record
from loadtests.metrics import summarize
from loadtests.systems.processes import python_module, running_server

BODY = {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": True}


async def httpx_request(client: httpx.AsyncClient, url: str, rid: str) -> RequestRecord:
    record = RequestRecord(
        request_id=rid, scenario="bench", target=url, sent_ns=time.perf_counter_ns()
    )
    async with client.stream("POST", url, json=BODY, headers={"x-request-id": rid}) as response:
        record.headers_ns = time.perf_counter_ns()
        record.status = response.status_code
        async for chunk in response.aiter_raw():
            record.add_read(time.perf_counter_ns(), chunk)
    record.closed_ns = time.perf_counter_ns()
    return record


async def one_level(kind: str, mock_url: str, streams: int) -> dict[str, Any]:
    url = f"{mock_url}/v1/chat/completions"
    tag = uuid.uuid4().hex[:8]
    spread = 0.5 / streams
    limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=streams + 10)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one(i: int) -> RequestRecord:
            await asyncio.sleep(i * spread)
            rid = f"{kind}-{tag}-{i}"
            if kind == "raw":
                return await stream_request(url, BODY, request_id=rid)
            return await httpx_request(client, url, rid)

        records = await asyncio.gather(*(one(i) for i in range(streams)))
    ledger = {r["id"]: r for r in fetch_records(mock_url)}
    diffs = []
    for record in records:
        first = tokens_from_record(record, "openai").first_token_ns
        if first is not None and record.request_id in ledger:
            diffs.append((first - ledger[record.request_id]["token_write_ns"][0]) / 1e6)
    return {"streams": streams, "measured": len(diffs), "arrival_minus_write_ms": summarize(diffs)}


def main() -> None:
    os.sched_setaffinity(0, {1})
    out: dict[str, Any] = {"command": "python -m tests.bench.client_accuracy", "levels": {}}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(
            python_module(
                "mock_llm", "--port", "0", "--ttft-ms", "100", "--itl-ms", "10", "--tokens", "50"
            ),
            cpu_list="0",
            log_path=str(Path(tmp) / "m.log"),
        ) as mock,
    ):
        for streams in (100, 500):
            for kind in ("raw", "httpx"):
                reset(mock.url)
                level = uvloop.run(one_level(kind, mock.url, streams))
                out["levels"][f"{kind}/{streams}"] = level
                s = level["arrival_minus_write_ms"]
                print(
                    f"{kind:>5} {streams:>4} streams: first token arrival - mock write "
                    f"p50 {s['p50']:.3f} ms, p99 {s['p99']:.3f} ms, max {s['max']:.3f} ms",
                    flush=True,
                )
    out["when_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = Path("results/bench/client_accuracy.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
