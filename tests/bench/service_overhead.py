"""Benchmark: what the reference service adds over talking to mock_llm directly.

For 1, 50 and 200 concurrent streams, in one run: TTFT p50/p99 direct-to-mock
and through the reference service (same upstream shape), their ratio and
difference, and the service's CPU microseconds per relayed token (psutil on
its PID). The load generator is our raw client (``loadtests.client.stream_client``);
its own event-loop lag is recorded and a level is marked invalid when it lagged.

Run: ``python -m tests.bench.service_overhead``. Writes
``results/bench/service_overhead.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import uvloop

from loadtests.client.endpoints import Endpoint, mock_endpoint, mock_headers, service_endpoint
from loadtests.client.stream_client import stream_request
from loadtests.load.runners import run_closed_loop
from loadtests.scenarios.ttft import target_numbers
from loadtests.systems.environment import embedded

SHAPE = {"ttft_ms": 50.0, "itl_ms": 20.0, "tokens": 50}


async def level(endpoint: Endpoint, concurrency: int, rounds: int) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    headers = mock_headers(SHAPE["ttft_ms"], SHAPE["itl_ms"], int(SHAPE["tokens"]))

    async def send(i: int, intended: int | None) -> Any:
        return await stream_request(
            endpoint.url,
            endpoint.body(request_id=f"b-{tag}-{i}", max_tokens=int(SHAPE["tokens"])),
            request_id=f"b-{tag}-{i}",
            headers=endpoint.headers(headers),
            timeout_s=60,
        )

    run = await run_closed_loop(
        send,
        concurrency=concurrency,
        total=concurrency * rounds,
        max_duration_s=120,
        lag_threshold_ms=20,
    )
    numbers = target_numbers(run.records, endpoint.response)
    numbers.pop("ttft_first_ms")
    numbers["client_loop_lag_ms"] = run.loop_lag_ms
    numbers["valid"] = run.valid
    numbers["invalid_reasons"] = run.invalid_reasons
    return numbers


def cpu_s(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system)


async def main_async(levels: list[int], rounds: int, variant: str) -> dict[str, Any]:
    out: dict[str, Any] = {"shape": SHAPE, "variant": variant, "levels": {}}
    with tempfile.TemporaryDirectory() as tmp, embedded([variant], Path(tmp)) as env:
        assert env.mock_url is not None
        direct = mock_endpoint(env.mock_url)
        service = service_endpoint(variant, env.services[variant])
        service_pid = env.processes[1].pid
        await level(service, 5, 2)  # warm-up: connections, lazy imports
        for n in levels:
            d = await level(direct, n, rounds)
            before = cpu_s(service_pid)
            s = await level(service, n, rounds)
            used = cpu_s(service_pid) - before
            tokens = s["requests"] * SHAPE["tokens"]
            d50, s50 = d["ttft_ms"]["p50"], s["ttft_ms"]["p50"]
            out["levels"][str(n)] = {
                "direct": d,
                "service": s,
                "ttft_p50_ratio": s50 / d50 if d50 and s50 else None,
                "ttft_p50_added_ms": s50 - d50 if d50 and s50 else None,
                "service_cpu_us_per_token": used / tokens * 1e6 if tokens else None,
            }
            print(
                f"{n:>4} streams: TTFT p50 direct {d50:.2f} ms, service {s50:.2f} ms "
                f"(+{s50 - d50:.2f} ms, x{s50 / d50:.3f}); service CPU "
                f"{used / tokens * 1e6:.1f} us/token",
                flush=True,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,50,200")
    parser.add_argument("--rounds", type=int, default=3, help="requests per worker per level")
    parser.add_argument("--variant", default="reference", help="embedded service variant")
    parser.add_argument("--out", type=Path, default=None, help="default: results/bench/...")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    result = uvloop.run(main_async(levels, args.rounds, args.variant))
    result["command"] = (
        f"python -m tests.bench.service_overhead --levels {args.levels} --rounds {args.rounds}"
        f" --variant {args.variant}"
    )
    suffix = "" if args.variant == "reference" else f"_{args.variant}"
    args.out = args.out or Path(f"results/bench/service_overhead{suffix}.json")
    result["when_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
