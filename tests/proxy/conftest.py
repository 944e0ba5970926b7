"""Proxy suite fixtures: the nginx and haproxy binaries, a paced mock, the services behind them.

Without a proxy binary its tests skip, except under ``CI=true``, where they must run:
there a missing nginx or haproxy is a failure (``.ci/run`` installs both). The nginx
services run once per uvicorn HTTP protocol (``--http``), because nginx's defaults treat
the two differently (docs/pitfalls/no_accel_header.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from loadtests.systems.haproxy import find_haproxy
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


def _required_binary(name: str, path: str | None) -> str:
    """``path``, or skip the test (fail it under ``CI=true``) when the binary is missing."""
    if path is None:
        message = f"{name} not found on PATH or in /usr/sbin (apt-get install {name})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: the proxy suite must run, not skip")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    return _required_binary("nginx", find_nginx())


@pytest.fixture(scope="session")
def haproxy_binary() -> str:
    return _required_binary("haproxy", find_haproxy())


@pytest.fixture(scope="module")
def paced_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """mock_llm streaming 50 tokens 20 ms apart after 20 ms (docs/behaviours.md#proxies)."""
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


@pytest.fixture(scope="module")
def reference_service(
    paced_mock: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """The ``reference`` variant (uvicorn's default protocol) in front of the paced mock."""
    log = tmp_path_factory.mktemp("reference") / "reference.log"
    server = start_server(
        python_module(
            "service", "--variant", "reference", "--port", "0", "--upstream", paced_mock.url
        ),
        log_path=str(log),
    )
    yield server
    server.stop()
