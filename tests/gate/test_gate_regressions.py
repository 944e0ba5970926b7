"""The gate is trustworthy: unchanged code passes 5/5, each seeded regression fails 5/5.

Opt-in (``-m slow``): about 20-30 minutes on 2 cores. Every run is a real
``streamgauge gate`` process against real servers: mock_llm, the service under
test (a real uvicorn process) and, for the proxy checks, a private nginx.

The seeds are explicit here, none is a switch in production code:
- ``sync_client_in_async``: the service started as that variant;
- ``break_without_close``: that variant, behind a send path that awaits per
  chunk (``--send-delay-ms 5``): the stack on which it leaks (see
  docs/pitfalls/break_without_close.md);
- ``sleep_50ms``: the reference wrapped in a 50 ms ASGI sleep
  (tests/gate/slow_service.py);
- ``no_accel_header``: the reference without ``X-Accel-Buffering: no``,
  measured behind nginx.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.systems.nginx import find_nginx
from loadtests.systems.processes import ServerProcess, python_module, start_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

RUNS = 5
SEEDS: dict[str, list[str]] = {
    "sync_client_in_async": python_module("service", "--variant", "sync_client_in_async"),
    "break_without_close": python_module(
        "service", "--variant", "break_without_close", "--send-delay-ms", "5"
    ),
    "sleep_50ms": python_module("tests.gate.slow_service"),
    "no_accel_header": python_module("service", "--variant", "no_accel_header"),
}


def _service(argv: list[str], mock: ServerProcess, log: Path) -> ServerProcess:
    return start_server(
        [*argv, "--port", "0", "--upstream", mock.url, "--forward-mock-headers", "true"],
        log_path=str(log),
    )


def _gate(
    baseline: Path, target: ServerProcess, mock: ServerProcess, out: Path
) -> dict[str, object]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtests.cli",
            "gate",
            "--baseline",
            str(baseline),
            "--target",
            target.url,
            "--mock",
            mock.url,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    result: dict[str, object] = json.loads(out.read_text()) if out.exists() else {}
    result["exit_code"] = proc.returncode
    result["stdout_tail"] = proc.stdout[-3000:]
    return result


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    if find_nginx() is None:
        pytest.fail("the gate tests need nginx (apt-get install nginx)")
    log = tmp_path_factory.mktemp("gate") / "mock.log"
    server = start_server(python_module("mock_llm", "--port", "0"), log_path=str(log))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def baseline(mock: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("baseline")
    service = _service(python_module("service", "--variant", "reference"), mock, tmp / "svc.log")
    try:
        path = tmp / "baseline.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "loadtests.cli",
                "baseline",
                "--out",
                str(path),
                "--target",
                service.url,
                "--mock",
                mock.url,
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        yield path
    finally:
        service.stop()


def _record(name: str, outcomes: list[dict[str, object]]) -> None:
    """Keep the evidence: results/bench/gate_<name>.json."""
    out = Path("results/bench") / f"gate_{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps([{k: v for k, v in o.items() if k != "stdout_tail"} for o in outcomes], indent=2)
        + "\n"
    )


def test_unchanged_reference_passes_5_of_5(
    mock: ServerProcess, baseline: Path, tmp_path: Path
) -> None:
    service = _service(python_module("service", "--variant", "reference"), mock, tmp_path / "s.log")
    try:
        outcomes = [_gate(baseline, service, mock, tmp_path / f"g{i}.json") for i in range(RUNS)]
    finally:
        service.stop()
    _record("unchanged", outcomes)
    assert [o["exit_code"] for o in outcomes] == [0] * RUNS, [o["stdout_tail"] for o in outcomes]


@pytest.mark.parametrize("seed", list(SEEDS))
def test_seeded_regression_fails_5_of_5(
    seed: str, mock: ServerProcess, baseline: Path, tmp_path: Path
) -> None:
    service = _service(SEEDS[seed], mock, tmp_path / "s.log")
    try:
        outcomes = [_gate(baseline, service, mock, tmp_path / f"g{i}.json") for i in range(RUNS)]
    finally:
        service.stop()
    _record(seed, outcomes)
    assert [o["exit_code"] for o in outcomes] == [1] * RUNS, [o["stdout_tail"] for o in outcomes]
