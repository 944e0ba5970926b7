"""Proxy suite fixtures: the nginx binary, a paced mock, and the services behind nginx.

Without nginx the suite skips, except under ``CI=true``, where it must run: there a
missing nginx is a failure. The services run once per uvicorn HTTP protocol
(``--http``), because nginx's defaults treat the two differently
(docs/pitfalls/no_accel_header.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from loadtests.systems.nginx import find_nginx
from loadtests.systems.processes import ServerProcess, python_module, start_server, start_servers

#: uvicorn HTTP protocols (the service's ``--http``).
PROTOCOLS = ("h11", "httptools")
VARIANTS = ("reference", "no_accel_header")
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


@pytest.fixture(scope="module", params=PROTOCOLS)
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
            "service", "--variant", variant, "--port", "0", "--http", protocol,
            "--upstream", paced_mock.url, "--forward-mock-headers", "true",
        )
        for variant in VARIANTS
    ]  # fmt: skip
    started = start_servers(argvs, log_paths=[str(logs / f"{v}.log") for v in VARIANTS])
    yield Services(protocol, {v: s.url for v, s in zip(VARIANTS, started, strict=True)})
    for server in started:
        server.stop()
