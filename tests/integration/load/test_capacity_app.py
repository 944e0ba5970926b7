"""``streamgauge capacity --app``: a team's app, started unmodified, loaded through its shapes.

The seed-000 style service (tests/user_services/seed000_style.py) forwards no header
upstream, so only the prompt's marker tells the mock which requests were the run's.
One 10 s step of 2 users (the shortest ramp there is); the CLI runs in its own process,
the app, its mock and Locust in three more.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.load.locust_stats import parse_stats_json

APP = "tests.user_services.seed000_style:app"
BODY = '{"prompt": "{prompt}"}'


@pytest.mark.timeout(150)
def test_capacity_on_an_app_reads_its_shapes_and_the_mock_sees_its_markers(
    tmp_path: Path,
) -> None:
    """The report names the app and its shapes; every stream read tokens; the mock saw them."""
    done = subprocess.run(
        [
            sys.executable, "-m", "loadtests.cli", "capacity",
            "--app", APP, "--path", "/chat/stream",
            "--body", BODY, "--response-shape", "sse-json",
            "--start-users", "2", "--max-users", "2", "--step-s", "10",
            "--out", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run_dir,) = tmp_path.iterdir()
    report = json.loads((run_dir / "capacity.json").read_text())
    system = report["system"]
    assert system["app"] == APP
    assert system["described_as"] == f"your app {APP}"
    assert system["variant"] is None
    assert system["shapes"] == {
        "path": "/chat/stream",
        "request": "body template",
        "template": BODY,
        "headers": [],
        "response": "sse-json (token)",
        "model": None,
    }
    (step,) = report["steps"]
    assert step["streams"] > 5
    assert step["failed_streams"] == 0

    stats = parse_stats_json((run_dir / "locust.json").read_text())
    streams = stats[("POST", "stream")].num_requests
    assert stats[("SSE", "TTFT")].num_requests == streams
    assert stats[("SSE", "tokens")].num_requests == streams

    upstream = report["upstream"]
    assert upstream["streams_sent"] == streams
    # Streams cut off when the ramp ended reached the mock too; none went unmarked.
    assert streams <= upstream["marked_requests_seen"] <= streams + 4
    assert upstream["tokens_generated"] > 0
    assert "the mock saw" in done.stdout
    assert (run_dir / "capacity.png").exists()
    assert (run_dir / "locust.html").exists()
