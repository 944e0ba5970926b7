"""How many concurrent streams one Locust worker sustains before its own lag voids results.

``python -m tests.bench.locust_worker_limit`` writes ``results/bench/locust_worker_limit.json``.

mock_llm (pinned to CPU 0; exact TTFT 100 ms, ITL 10 ms, 50 tokens, OpenAI chunks) is
the target, so every latency above those is the load generator's. ``streamgauge
capacity --workers 1`` ramps one worker (master and worker pinned to CPU 1) and judges
each step twice: against an accuracy SLO (TTFT p95 <= 150 ms, ITL p95 <= 20 ms: the
measured numbers still describe the mock) and against the generator limits (CPU >= 90 %
of a core or own loop lag p99 > 10 ms: saturated).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from loadtests.systems.processes import python_module, running_server

_STEP_KEYS = (
    "users", "streams", "ttft_p50_ms", "ttft_p95_ms", "itl_p95_ms", "itl_p99_ms",
    "tokens_per_s", "generator_cpu_pct", "lag_p99_ms", "slo_violations", "saturation",
)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tests.bench.locust_worker_limit")
    p.add_argument("--start-users", type=int, default=25)
    p.add_argument("--step-users", type=int, default=25)
    p.add_argument("--max-users", type=int, default=400)
    p.add_argument("--step-s", type=float, default=12.0)
    p.add_argument("--workers", type=int, default=1, help="0: one standalone Locust process")
    p.add_argument("--out", type=Path, default=Path("results/bench/locust_worker_limit.json"))
    p.add_argument("--runs-dir", type=Path, default=Path("results/runs"))
    args = p.parse_args(argv)
    mock_argv = python_module(
        "mock_llm", "--port", "0", "--ttft-ms", "100", "--itl-ms", "10", "--tokens", "50",
        "--keep-token-times", "false",
    )  # fmt: skip
    before = set(args.runs_dir.glob("*")) if args.runs_dir.exists() else set()
    with running_server(mock_argv, cpu_list="0") as mock:
        command = [
            sys.executable, "-m", "loadtests.cli", "capacity",
            "--target", mock.url, "--target-path", "/v1/chat/completions",
            "--request-shape", "openai-chat", "--response-shape", "openai-chat",
            "--workers", str(args.workers), "--generator-cpus", "1",
            "--start-users", str(args.start_users), "--step-users", str(args.step_users),
            "--max-users", str(args.max_users), "--step-s", f"{args.step_s:g}",
            "--slo-ttft-p95-ms", "150", "--slo-itl-p95-ms", "20", "--stop-after-failing", "2",
            "--out", str(args.runs_dir),
        ]  # fmt: skip
        done = subprocess.run(command, check=False, timeout=3600)
    (run_dir,) = set(args.runs_dir.glob("*")) - before
    capacity = json.loads((run_dir / "capacity.json").read_text())
    steps: list[dict[str, Any]] = capacity["steps"]
    unsaturated = [s["users"] for s in steps if not s["saturated"]]
    first_saturated = next((s["users"] for s in steps if s["saturated"]), None)
    result = {
        "command": "python -m tests.bench.locust_worker_limit "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "capacity_command": " ".join(command[2:]).replace(mock.url, "<mock>"),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count()},
        "capacity_exit_code": done.returncode,
        "run_dir": str(run_dir),
        "upstream": {"ttft_ms": 100, "itl_ms": 10, "tokens": 50, "format": "openai"},
        "accurate_up_to_users": capacity["knee_users"],
        "first_inaccurate_users": capacity["first_failing_users"],
        "largest_unsaturated_users": max(unsaturated) if unsaturated else None,
        "first_saturated_users": first_saturated,
        "steps": [{k: s[k] for k in _STEP_KEYS} for s in steps],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=2))


if __name__ == "__main__":
    main()
