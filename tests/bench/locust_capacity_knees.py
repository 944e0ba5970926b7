"""The capacity knee of the reference service and of sync_client_in_async, same ramp.

``python -m tests.bench.locust_capacity_knees`` runs ``streamgauge capacity`` once per
variant (embedded mock_llm defaults: TTFT 100 ms, ITL 10 ms, 50 tokens; default ramp and
SLO) and writes ``results/bench/locust_capacity_knees.json`` with each knee, the step
table and the plot path.
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

VARIANTS = ("reference", "sync_client_in_async")
_STEP_KEYS = (
    "users", "streams", "failed_streams", "ttft_p50_ms", "ttft_p95_ms", "itl_p50_ms",
    "itl_p95_ms", "tokens_per_s", "generator_cpu_pct", "lag_p99_ms", "slo_violations",
    "saturation",
)  # fmt: skip


def run_variant(variant: str, runs_dir: Path, extra: list[str]) -> dict[str, Any]:
    before = set(runs_dir.glob("*")) if runs_dir.exists() else set()
    command = [sys.executable, "-m", "loadtests.cli", "capacity", "--variant", variant,
               "--out", str(runs_dir), *extra]  # fmt: skip
    done = subprocess.run(command, check=False, timeout=3600)
    (run_dir,) = set(runs_dir.glob("*")) - before
    capacity = json.loads((run_dir / "capacity.json").read_text())
    return {
        "command": "streamgauge " + " ".join(command[3:]),
        "exit_code": done.returncode,
        "knee_users": capacity["knee_users"],
        "first_failing_users": capacity["first_failing_users"],
        "valid": capacity["valid"],
        "invalid_reasons": capacity["invalid_reasons"],
        "plot": capacity["files"]["plot"],
        "run_dir": str(run_dir),
        "steps": [{k: s[k] for k in _STEP_KEYS} for s in capacity["steps"]],
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tests.bench.locust_capacity_knees")
    p.add_argument("--out", type=Path, default=Path("results/bench/locust_capacity_knees.json"))
    p.add_argument("--runs-dir", type=Path, default=Path("results/runs"))
    args, extra = p.parse_known_args(argv)
    results = {v: run_variant(v, args.runs_dir, extra) for v in VARIANTS}
    summary = {
        "command": "python -m tests.bench.locust_capacity_knees "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "loadavg_after": os.getloadavg()},
        "knees": {v: r["knee_users"] for v, r in results.items()},
        "variants": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary["knees"]))


if __name__ == "__main__":
    main()
