"""Proxy suite fixtures: the nginx binary, a paced mock, and the services behind nginx.

Without nginx the suite skips, except under ``CI=true``, where it must run: there a
missing nginx is a failure. The services run once per uvicorn HTTP protocol, because
nginx's defaults treat the two differently (``tests/proxy/h11_service.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from loadtests.nginx import find_nginx
from loadtests.processes import ServerProcess, python_module, start_server, start_servers

#: uvicorn HTTP protocol -> the module that serves the service with it.
SERVICE_MODULES = {"httptools": "service", "h11": "tests.proxy.h11_service"}
VARIANTS = ("reference", "no_accel_header")
# `python -m tests.proxy.h11_service` must import from the checkout wherever pytest runs.
_ROOT = Path(__file__).resolve().parents[2]
EVENTS = 50
ITL_MS = 20


@dataclass(frozen=True)
class Services:
    """The buffering paths' services, served with one uvicorn protocol."""

    protocol: str
    urls: dict[str, str]


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    path = find_nginx()
    if path is None:
        message = "nginx not found on PATH or in /usr/sbin (apt-get install nginx)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: the proxy suite must run, not skip")
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def paced_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """mock_llm streaming 50 tokens 20 ms apart after 20 ms: the shape FACTS.md measured."""
    log = tmp_path_factory.mktemp("paced-mock") / "mock.log"
    server = start_server(
        python_module(
            "mock_llm", "--port", "0", "--ttft-ms", "20", "--itl-ms", str(ITL_MS),
            "--tokens", str(EVENTS),
        ),
        log_path=str(log),
    )  # fmt: skip
    yield server
    server.stop()


@pytest.fixture(scope="module", params=sorted(SERVICE_MODULES))
def services(
    request: pytest.FixtureRequest,
    nginx_binary: str,
    paced_mock: ServerProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Services]:
    """``reference`` and ``no_accel_header`` on one protocol, started in parallel."""
    protocol: str = request.param
    logs = tmp_path_factory.mktemp(f"services-{protocol}")
    argvs = [
        python_module(
            SERVICE_MODULES[protocol], "--variant", variant, "--port", "0",
            "--upstream", paced_mock.url, "--forward-mock-headers", "true",
        )
        for variant in VARIANTS
    ]  # fmt: skip
    pythonpath = os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))
    started = start_servers(
        argvs,
        log_paths=[str(logs / f"{v}.log") for v in VARIANTS],
        env={"PYTHONPATH": pythonpath},
    )
    yield Services(protocol, {v: s.url for v, s in zip(VARIANTS, started, strict=True)})
    for server in started:
        server.stop()
