"""Locust stays out of the CLI and of pytest: importing it monkey-patches with gevent."""

from __future__ import annotations

import subprocess
import sys

from loadtests.locust_suite.options import add_arguments, config_from


def test_cli_and_capacity_modules_do_not_import_locust_or_gevent() -> None:
    """Checked in a fresh interpreter: this pytest process may have imported anything."""
    code = (
        "import sys\n"
        "import loadtests, loadtests.cli, loadtests.commands.capacity, loadtests.capacity.ramp\n"
        "import loadtests.locust_suite, loadtests.locust_suite.options\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent'))\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_suite_options_defaults_come_from_the_pure_models() -> None:
    """No flags: the SLO and ramp defaults of AggregateSLO and StepRamp, no X-Mock headers."""
    config = config_from(None)
    assert config.slo.ttft_p95_ms == 500
    assert config.ramp.step_s >= 10
    assert config.mock_headers == {}
    assert config.endpoint.url == "/chat/stream"
    assert config.slo_check


def test_mock_flags_become_x_mock_headers() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    options = parser.parse_args(["--mock-ttft-ms", "150", "--mock-tokens", "10", "--no-slo-check"])
    config = config_from(options)
    assert config.mock_headers == {"x-mock-ttft-ms": "150", "x-mock-tokens": "10"}
    assert not config.slo_check
