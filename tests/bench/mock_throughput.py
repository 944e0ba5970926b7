"""Benchmark: mock_llm tokens/s, stream-duration fidelity, lateness and CPU per token.

The mock is pinned to CPU 0, the load generator (wrk, a C tool, so it is
never the bottleneck) to CPU 1. Two loads per server, in one run:

- paced: 1000 connections, each streaming 100 tokens at 10 ms ITL, back to back
  (nominal 100k tokens/s; ideal stream 10 ms TTFT + 99 x 10 ms = 1.00 s);
- zero delay: TTFT 0, ITL 0, as fast as the server can write.

The same two loads run against a straightforward FastAPI StreamingResponse
implementation of the same stream (tests/bench/fastapi_stream_app.py); CPU
per token is compared as a ratio from the same run.

Run: ``make bench`` or ``python -m tests.bench.mock_throughput [--seconds 10]``.
Writes ``results/bench/mock_throughput.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from loadtests.processes import ServerProcess, python_module, start_server

BODY = json.dumps(
    {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": True}
)
LUA = (
    """
wrk.method = "POST"
wrk.body = [[{BODY}]]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %d, \\"duration_us\\": %d, "
    .. "\\"errors\\": %d, \\"latency_mean_us\\": %f, \\"latency_p50_us\\": %d, "
    .. "\\"latency_p99_us\\": %d, \\"latency_max_us\\": %d, \\"bytes\\": %d}\\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max, summary.bytes))
end
"""
).replace("{BODY}", BODY)

PACED = {"ttft_ms": 10.0, "itl_ms": 10.0, "tokens": 100}
ZERO = {"ttft_ms": 0.0, "itl_ms": 0.0, "tokens": 100}


def run_wrk(url: str, connections: int, seconds: int, script: Path) -> dict[str, Any]:
    cmd = [
        "taskset",
        "-c",
        "1",
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"{url}/v1/chat/completions",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60)
    match = re.search(r"^JSON (.*)$", out.stdout, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no summary: {out.stdout} {out.stderr}")
    result: dict[str, Any] = json.loads(match.group(1))
    return result


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def lateness_p99_ms(before: dict[str, Any], after: dict[str, Any]) -> float | None:
    bounds = after["lateness_bucket_bounds_ns"]
    counts = [
        a - b
        for a, b in zip(
            after["lateness_bucket_counts"], before["lateness_bucket_counts"], strict=True
        )
    ]
    total = sum(counts)
    if not total:
        return None
    seen = 0
    for i, c in enumerate(counts):
        seen += c
        if seen >= 0.99 * total:
            return (bounds[i] if i < len(bounds) else after["lateness_max_ns"]) / 1e6
    return None


def measure(
    server: ServerProcess,
    load: dict[str, float],
    connections: int,
    seconds: int,
    script: Path,
    is_mock: bool,
) -> dict[str, Any]:
    stats_before = httpx.get(f"{server.url}/mock/stats").json() if is_mock else None
    cpu_before = cpu_seconds(server.pid)
    wall = time.monotonic()
    wrk = run_wrk(server.url, connections, seconds, script)
    wall = time.monotonic() - wall
    cpu = cpu_seconds(server.pid) - cpu_before
    tokens = wrk["requests"] * int(load["tokens"])
    duration_s = wrk["duration_us"] / 1e6
    result: dict[str, Any] = {
        "connections": connections,
        "completed_streams": wrk["requests"],
        "errors": wrk["errors"],
        "tokens_per_s": tokens / duration_s,
        "server_cpu_s": cpu,
        "server_cpu_share": cpu / wall,
        "cpu_us_per_token": cpu / tokens * 1e6 if tokens else None,
        "stream_mean_s": wrk["latency_mean_us"] / 1e6,
        "stream_p99_s": wrk["latency_p99_us"] / 1e6,
    }
    ideal_s = (load["ttft_ms"] + (load["tokens"] - 1) * load["itl_ms"]) / 1e3
    if ideal_s > 0:
        result["ideal_stream_s"] = ideal_s
        result["stream_mean_over_ideal"] = result["stream_mean_s"] / ideal_s
    if is_mock and stats_before is not None:
        after = httpx.get(f"{server.url}/mock/stats").json()
        result["mock_tokens_written"] = after["tokens_written"] - stats_before["tokens_written"]
        result["lateness_p99_ms"] = lateness_p99_ms(stats_before, after)
        result["lateness_max_ms"] = after["lateness_max_ns"] / 1e6
    return result


def start(kind: str, load: dict[str, float], log_dir: Path) -> ServerProcess:
    if kind == "mock_llm":
        argv = python_module(
            "mock_llm",
            "--port",
            "0",
            "--ttft-ms",
            str(load["ttft_ms"]),
            "--itl-ms",
            str(load["itl_ms"]),
            "--tokens",
            str(int(load["tokens"])),
            "--ledger-size",
            "20000",
        )
    else:
        argv = python_module(
            "tests.bench.fastapi_stream_app",
            str(load["ttft_ms"]),
            str(load["itl_ms"]),
            str(int(load["tokens"])),
        )
    return start_server(argv, cpu_list="0", log_path=str(log_dir / f"{kind}.log"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("results/bench/mock_throughput.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    results: dict[str, Any] = {
        "command": "python -m tests.bench.mock_throughput "
        f"--seconds {args.seconds} --connections {args.connections}",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version()},
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(LUA)
        for kind in ("mock_llm", "fastapi_streaming_response"):
            for name, load in (("paced", PACED), ("zero_delay", ZERO)):
                conns = args.connections if name == "paced" else 50
                server = start(kind, load, Path(tmp))
                try:
                    # Warm-up: first connections, lazy imports, allocator.
                    run_wrk(server.url, min(conns, 100), 2, script)
                    res = measure(server, load, conns, args.seconds, script, kind == "mock_llm")
                finally:
                    server.stop()
                results["runs"][f"{kind}/{name}"] = res
                print(kind, name, json.dumps(res), flush=True)
    runs = results["runs"]
    mock_z, fast_z = runs["mock_llm/zero_delay"], runs["fastapi_streaming_response/zero_delay"]
    mock_p, fast_p = runs["mock_llm/paced"], runs["fastapi_streaming_response/paced"]
    results["ratios"] = {
        "cpu_per_token_fastapi_over_mock_zero_delay": fast_z["cpu_us_per_token"]
        / mock_z["cpu_us_per_token"],
        "cpu_per_token_fastapi_over_mock_paced": fast_p["cpu_us_per_token"]
        / mock_p["cpu_us_per_token"],
    }
    results["targets"] = {
        "paced_tokens_per_s>=90k": mock_p["tokens_per_s"] >= 90_000,
        "paced_stream_mean<=1.03x_ideal": mock_p["stream_mean_over_ideal"] <= 1.03,
        "paced_lateness_p99<=2ms": (mock_p["lateness_p99_ms"] or 99) <= 2.0,
        "cpu_per_token>=5x_cheaper": results["ratios"]["cpu_per_token_fastapi_over_mock_zero_delay"]
        >= 5,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({"ratios": results["ratios"], "targets": results["targets"]}, indent=2))


if __name__ == "__main__":
    main()
