"""``streamgauge run`` on a service behind HAProxy's defaults: buffering is the finding.

HAProxy without ``option http-no-delay`` delivers an SSE stream in bursts about 200 ms
apart (tests/proxy/test_haproxy.py measures it). The run must call that ``buffered``,
name the bursts and HAProxy, and exit 1: a finding about the path, not a bad run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loadtests.systems.haproxy import running_haproxy
from loadtests.systems.processes import python_module, running_server
from tests.integration.commands.target_runs import TargetRun, run_against, run_cli

pytestmark = [pytest.mark.proxy, pytest.mark.timeout(300)]


def _assert_buffered_in_bursts(run: TargetRun) -> None:
    assert run.word("buffering") == "buffered", run.output
    interval = re.search(r"bursts every (\d+) ms", run.detail("buffering"))
    assert interval is not None, run.detail("buffering")
    assert 100 <= int(interval.group(1)) <= 400, run.detail("buffering")
    assert run.summary["scenarios"]["buffering"]["valid"], run.output
    assert run.returncode == 1, run.output


def test_reference_behind_haproxy_defaults_as_a_target(haproxy_binary: str, tmp_path: Path) -> None:
    with (
        running_server(
            python_module("mock_llm", "--port", "0", "--on-disconnect", "abort"),
            log_path=str(tmp_path / "mock.log"),
        ) as mock,
        running_server(
            python_module(
                "service", "--variant", "reference", "--port", "0", "--upstream", mock.url
            ),
            log_path=str(tmp_path / "service.log"),
        ) as service,
        running_haproxy("defaults", service.url, haproxy_path=haproxy_binary) as haproxy,
    ):
        out = tmp_path / "runs"
        out.mkdir()
        run = run_cli(
            ["--target", haproxy.url, "--mock", mock.url, "--scenarios", "buffering"], out, 240
        )
    _assert_buffered_in_bursts(run)
    assert f"your service at {haproxy.url}: buffering: buffered" in run.output.replace("\n", " ")


def test_app_behind_haproxy_defaults_through_proxy(haproxy_binary: str, tmp_path: Path) -> None:
    run = run_against(
        "app",
        "tests.user_services.seed000_style:app",
        tmp_path,
        "--proxy",
        "haproxy:defaults",
        "--scenarios",
        "buffering",
    )
    _assert_buffered_in_bursts(run)
    assert "behind HAProxy (defaults.cfg)" in run.output.replace("\n", " ")
