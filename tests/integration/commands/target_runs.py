"""Run ``streamgauge run`` against a team-style service, the two ways a team would.

``--app``: streamgauge starts the service itself. ``--target``: the service is already
running (started here the way a team runs it, under uvicorn with ``OPENAI_BASE_URL``
at a mock), and ``--mock`` names the mock it streams from.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.systems.environment import app_env
from loadtests.systems.processes import python_module, running_server

MODES = ("app", "target")


@dataclass(frozen=True)
class TargetRun:
    returncode: int
    output: str
    summary: dict[str, Any]

    def word(self, scenario: str) -> str:
        return str(self.summary["judgements"][scenario]["word"])

    def detail(self, scenario: str) -> str:
        return str(self.summary["judgements"][scenario]["detail"])

    def numbers(self, scenario: str) -> dict[str, Any]:
        numbers: dict[str, Any] = self.summary["scenarios"][scenario]["numbers"]
        return numbers


@contextlib.contextmanager
def running_user_service(app_spec: str, log_dir: Path) -> Iterator[tuple[str, str]]:
    """A mock, and ``app_spec`` under uvicorn in front of it: ``(service_url, mock_url)``."""
    with running_server(
        python_module("mock_llm", "--port", "0", "--on-disconnect", "abort"),
        log_path=str(log_dir / "mock.log"),
    ) as mock:
        env = app_env(mock.url, {})
        with running_server(
            python_module("loadtests.systems.app_runner", app_spec),
            env=env,
            log_path=str(log_dir / "service.log"),
        ) as service:
            yield service.url, mock.url


def run_cli(args: Sequence[str], out: Path, timeout_s: float) -> TargetRun:
    done = subprocess.run(
        [sys.executable, "-m", "loadtests.cli", "run", *args, "--no-plots", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    runs = sorted(out.iterdir())
    assert runs, done.stdout + done.stderr
    summary_path = runs[-1] / "summary.json"
    assert summary_path.exists(), done.stdout + done.stderr
    return TargetRun(
        done.returncode, done.stdout + done.stderr, json.loads(summary_path.read_text())
    )


def run_against(
    mode: str,
    app_spec: str,
    tmp_path: Path,
    *args: str,
    path: str = "/chat/stream",
    timeout_s: float = 240,
) -> TargetRun:
    """``streamgauge run --app APP`` or ``--target URL --mock URL`` with ``args``."""
    out = tmp_path / "runs"
    out.mkdir(exist_ok=True)
    if mode == "app":
        return run_cli(["--app", app_spec, "--path", path, *args], out, timeout_s)
    with running_user_service(app_spec, tmp_path) as (service_url, mock_url):
        return run_cli(
            ["--target", service_url, "--mock", mock_url, "--path", path, *args], out, timeout_s
        )
