"""Fixtures that start real servers on 127.0.0.1 port 0 and always stop them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from loadtests.systems.processes import ServerProcess, python_module, start_server

StartServer = Callable[..., ServerProcess]


@pytest.fixture
def start_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """Factory: ``start_mock("--ttft-ms", "50")`` -> a running mock_llm process."""
    started: list[ServerProcess] = []

    def _start(*flags: str, env: dict[str, str] | None = None) -> ServerProcess:
        log = tmp_path_factory.mktemp("mock") / "mock.log"
        server = start_server(
            python_module("mock_llm", "--port", "0", *flags), env=env, log_path=str(log)
        )
        started.append(server)
        return server

    yield _start
    for server in started:
        server.stop()


@pytest.fixture
def start_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartServer]:
    """Factory: ``start_service("reference", upstream_url, *flags)`` -> running service."""
    started: list[ServerProcess] = []

    def _start(
        variant: str, upstream: str, *flags: str, env: dict[str, str] | None = None
    ) -> ServerProcess:
        log = tmp_path_factory.mktemp("service") / "service.log"
        server = start_server(
            python_module(
                "service", "--variant", variant, "--port", "0", "--upstream", upstream, *flags
            ),
            env=env,
            log_path=str(log),
        )
        started.append(server)
        return server

    yield _start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def shared_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One fast mock for the whole session; tests isolate via x-request-id and overrides."""
    log = tmp_path_factory.mktemp("shared-mock") / "mock.log"
    server = start_server(
        python_module(
            "mock_llm", "--port", "0", "--ttft-ms", "20", "--itl-ms", "2", "--tokens", "10"
        ),
        log_path=str(log),
    )
    yield server
    server.stop()
