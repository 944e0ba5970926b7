"""The three packages meet only at process boundaries: the servers stand alone.

mock_llm and service are run by the harness as child processes and never import
``loadtests``; what the two sides must agree on (the readiness line, the variant names)
is written on both sides and kept equal here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.systems import processes
from loadtests.systems.environment import ALL_VARIANTS
from mock_llm import cli as mock_cli
from service import cli as service_cli
from service.settings import VARIANT_NAMES


@pytest.mark.parametrize(
    "modules",
    [
        "mock_llm, mock_llm.__main__, mock_llm.server",
        "service, service.__main__, service.app, service.variants",
    ],
)
def test_servers_import_nothing_of_the_harness(modules: str) -> None:
    """Checked in a fresh interpreter: this pytest process has imported everything."""
    code = (
        f"import sys, {modules}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'loadtests')\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_readiness_line_is_the_same_on_both_sides() -> None:
    assert mock_cli.LISTENING_PREFIX == processes.LISTENING_PREFIX
    assert service_cli.LISTENING_PREFIX == processes.LISTENING_PREFIX


def test_the_harness_knows_every_variant_the_service_serves() -> None:
    assert set(ALL_VARIANTS) == set(VARIANT_NAMES)


def test_project_modules_resolve_under_the_harness_namespace() -> None:
    """In a checkout the namespace is empty; installed it is ``streamgauge.``."""
    assert processes.NAMESPACE in {"", "streamgauge."}
    assert processes.project_module("mock_llm") == processes.NAMESPACE + "mock_llm"
    assert processes.project_module("tests.gate.slow_service") == "tests.gate.slow_service"


def test_the_two_servers_command_lines_are_one_copy() -> None:
    """Each server owns its CLI so it stands alone; the two copies must not drift apart."""
    root = Path(__file__).resolve().parents[2]
    assert (root / "service" / "cli.py").read_text() == (root / "mock_llm" / "cli.py").read_text()
