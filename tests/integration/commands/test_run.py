"""``streamgauge run`` end to end (a reduced selection) and its option errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadtests.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.timeout(300)
def test_run_writes_summary_report_and_plots(tmp_path: Path) -> None:
    proc = run_cli(
        "run",
        "--scenarios",
        "ttft,blocking",
        "--variants",
        "reference,sync_client_in_async",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["schema_version"] == "1"
    assert set(summary["scenarios"]) == {"ttft", "blocking"}
    assert summary["scenarios"]["blocking"]["verdicts"]["sync_client_in_async"] == "blocks"
    lines = (run_dir / "requests.jsonl").read_text().splitlines()
    assert len(lines) >= 40
    assert {"request_id", "sent_ns"} <= set(json.loads(lines[0]))
    assert (run_dir / "report.md").read_text().startswith("# streamgauge run")
    assert (run_dir / "ttft_per_variant.png").stat().st_size > 10_000
    assert (run_dir / "healthz_over_time.png").stat().st_size > 10_000
    assert "serialized" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--scenarios", "nope"), "unknown scenario"),
        (("run", "--variants", "reference,bogus"), "unknown variant"),
        (("run", "--mock", "http://127.0.0.1:1"), "--mock goes with --target"),
        (("run", "--target", "ftp://x"), "http://"),
        (("gate",), "--baseline"),
        (("nonsense",), "unknown command"),
        (("mock", "--ttft-ms", "abc"), "--ttft-ms"),
    ],
)
def test_bad_options_exit_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    proc = run_cli(*args, timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr
