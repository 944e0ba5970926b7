"""CPU per streamed event: our Locust StreamingUser vs a plain FastHttpUser ``iter_lines()``.

``python -m tests.bench.locust_user_cost`` writes ``results/bench/locust_user_cost.json``.

mock_llm (pinned to CPU 0) streams OpenAI chunks straight to Locust (pinned to CPU 1),
and the two users run at the same time, as two Locust processes on the same core: noise
from the rest of the machine hits both alike. After a warm-up, each Locust process's CPU
time (psutil) over a fixed window is divided by its share of the SSE events the mock
delivered in that window (``tokens_written`` from ``/mock/stats`` times
``(tokens + 3) / tokens``, since role chunk, finish chunk and ``[DONE]`` are events too,
split by each run's stream count).
Accuracy: TTFT against the mock's exact TTFT, from each user's own TTFT row.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from loadtests.load.locust_process import LOCUSTFILE, LocustOutputs, locust_argv, running_locust
from loadtests.load.locust_stats import parse_stats_json
from loadtests.systems.processes import python_module, running_server

BASELINE = Path(__file__).with_name("locust_iter_lines_user.py")
KINDS: dict[str, tuple[Path, str, str, list[str]]] = {
    # kind: (locustfile, user class, its TTFT row, suite args)
    "streamgauge": (
        LOCUSTFILE, "StreamingUser", "TTFT",
        ["--request-shape", "openai-chat", "--response-shape", "openai-chat",
         "--stream-path", "/v1/chat/completions", "--no-slo-check", "--lag-interval-ms", "0"],
    ),
    "iter_lines": (BASELINE, "IterLinesUser", "TTFT (iter_lines)", []),
}  # fmt: skip


def _tokens_written(mock_url: str) -> int:
    written: int = httpx.get(f"{mock_url}/mock/stats", timeout=10).json()["tokens_written"]
    return written


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _start(kind: str, mock_url: str, args: argparse.Namespace, out: Path) -> Any:
    locustfile, user_class, _, suite = KINDS[kind]
    outputs = LocustOutputs(out)
    argv = [
        "taskset", "-c", args.generator_cpu,
        *locust_argv(
            files=[locustfile], user_classes=[user_class], suite_args=suite, host=mock_url,
            run_time_s=args.warmup_s + args.window_s + 2, stop_timeout_s=3, outputs=outputs,
            users=args.users, spawn_rate=args.users, loglevel="WARNING",
        ),
    ]  # fmt: skip
    return running_locust(argv, [], outputs), outputs


def measure_pair(mock_url: str, args: argparse.Namespace, out: Path) -> list[dict[str, Any]]:
    """Both users at once, same core, same moment: noise from the rest of the machine
    hits both alike. Events per kind come from its own stream count in the window."""
    with contextlib.ExitStack() as stack:
        runs: dict[str, tuple[Any, LocustOutputs]] = {}
        for kind in KINDS:
            manager, outputs = _start(kind, mock_url, args, out / kind)
            runs[kind] = (stack.enter_context(manager), outputs)
        procs = {kind: psutil.Process(run.main.pid) for kind, (run, _) in runs.items()}
        time.sleep(args.warmup_s)
        cpu0 = {k: _cpu_s(p) for k, p in procs.items()}
        tokens0, t0 = _tokens_written(mock_url), time.perf_counter()
        time.sleep(args.window_s)
        cpu1 = {k: _cpu_s(p) for k, p in procs.items()}
        tokens1, t1 = _tokens_written(mock_url), time.perf_counter()
        for run, _ in runs.values():
            run.wait(args.warmup_s + args.window_s + 60)
    # Split the window's events by each run's share of streams (same streams, same events).
    streams = {
        k: parse_stats_json(o.json_file.read_text())[("POST", "stream")].num_requests
        for k, (_, o) in runs.items()
    }
    total_events = (tokens1 - tokens0) * (args.tokens + 3) / args.tokens
    results = []
    for kind, (_, outputs) in runs.items():
        stats = parse_stats_json(outputs.json_file.read_text())
        ttft = stats[("SSE", KINDS[kind][2])]
        events = total_events * streams[kind] / sum(streams.values())
        cpu_s = cpu1[kind] - cpu0[kind]
        results.append(
            {
                "kind": kind,
                "users": args.users,
                "window_s": round(t1 - t0, 3),
                "events": round(events),
                "events_per_s": round(events / (t1 - t0)),
                "cpu_s": round(cpu_s, 3),
                "cpu_pct_of_core": round(100 * cpu_s / (t1 - t0), 1),
                "us_cpu_per_event": round(1e6 * cpu_s / events, 2),
                "ttft_row": KINDS[kind][2],
                "ttft_p50_ms": ttft.percentile(0.5),
                "ttft_p95_ms": ttft.percentile(0.95),
                "ttft_min_ms": ttft.min_ms,
                "streams": streams[kind],
            }
        )
    return results


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tests.bench.locust_user_cost")
    p.add_argument("--users", type=int, default=60, help="per user kind (both run at once)")
    p.add_argument("--tokens", type=int, default=50)
    p.add_argument("--ttft-ms", type=float, default=100.0)
    p.add_argument("--itl-ms", type=float, default=10.0)
    p.add_argument("--warmup-s", type=float, default=6.0)
    p.add_argument("--window-s", type=float, default=12.0)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--mock-cpu", default="0")
    p.add_argument("--generator-cpu", default="1")
    p.add_argument("--out", type=Path, default=Path("results/bench/locust_user_cost.json"))
    p.add_argument("--work-dir", type=Path, default=Path("/tmp/streamgauge-locust-cost"))
    args = p.parse_args(argv)
    mock_argv = python_module(
        "mock_llm", "--port", "0", "--ttft-ms", f"{args.ttft_ms:g}", "--itl-ms",
        f"{args.itl_ms:g}", "--tokens", str(args.tokens), "--keep-token-times", "false",
    )  # fmt: skip
    runs: list[dict[str, Any]] = []
    with running_server(mock_argv, cpu_list=args.mock_cpu) as mock:
        for i in range(args.repeats):
            for result in measure_pair(mock.url, args, args.work_dir / str(i)):
                print(json.dumps(result), flush=True)
                runs.append(result)
    summary: dict[str, Any] = {
        kind: {
            "us_cpu_per_event_median": statistics.median(
                r["us_cpu_per_event"] for r in runs if r["kind"] == kind
            ),
            "ttft_p50_ms": [r["ttft_p50_ms"] for r in runs if r["kind"] == kind],
            "ttft_min_ms": min(r["ttft_min_ms"] for r in runs if r["kind"] == kind),
        }
        for kind in KINDS
    }
    ours = [r["us_cpu_per_event"] for r in runs if r["kind"] == "streamgauge"]
    base = [r["us_cpu_per_event"] for r in runs if r["kind"] == "iter_lines"]
    summary["ratio_per_repeat"] = [round(a / b, 3) for a, b in zip(ours, base, strict=True)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "command": "python -m tests.bench.locust_user_cost "
                + " ".join(sys.argv[1:] if argv is None else argv),
                "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "upstream": {"ttft_ms": args.ttft_ms, "itl_ms": args.itl_ms, "tokens": args.tokens},
                "pinning": {"mock": args.mock_cpu, "locust": args.generator_cpu},
                "summary": summary,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
