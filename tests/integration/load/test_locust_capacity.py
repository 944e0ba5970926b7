"""``streamgauge capacity`` end to end, distributed: 1 master + 2 workers on 127.0.0.1.

One 10 s step (the shortest a step may be) against the embedded default; the CLI runs
in its own process and Locust in three more.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from loadtests.load.locust_stats import parse_stats_json


def test_capacity_with_two_workers_writes_every_report(tmp_path: Path) -> None:
    """Master and both workers ran; capacity.json, the PNG and Locust's reports exist."""
    done = subprocess.run(
        [
            sys.executable, "-m", "loadtests.cli", "capacity",
            "--start-users", "4", "--max-users", "4", "--step-s", "10", "--workers", "2",
            "--upstream-ttft-ms", "50", "--upstream-itl-ms", "10", "--upstream-tokens", "20",
            "--out", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir,) = tmp_path.iterdir()
    report = json.loads((run_dir / "capacity.json").read_text())
    assert report["workers"] == 2
    assert report["valid"] is True
    assert report["knee_users"] == 4
    assert report["knee_above_range"] is True
    (step,) = report["steps"]
    assert step["streams"] > 20
    assert 50 <= step["ttft_p50_ms"] <= 150
    assert (run_dir / "capacity.png").stat().st_size > 10_000
    assert (run_dir / "locust.html").exists()

    stats = parse_stats_json((run_dir / "locust.json").read_text())
    assert stats[("SSE", "TTFT")].num_requests == stats[("POST", "stream")].num_requests
    master_log = (run_dir / "locust.log").read_text()
    assert "2 workers connected" in master_log, master_log[-2000:]
    workers = sorted(run_dir.glob("locust-worker-*.log"))
    assert len(workers) == 2
    # Each worker ran its own loop-lag probe (<= 100 samples/s each): more samples than
    # one process could have sent over the run means both reported to the master.
    lag = stats[("GENERATOR", "loop lag")]
    assert lag.num_requests > 100 * 13
