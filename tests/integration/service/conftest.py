"""Server fixtures of the service integration tests: processes per test module, always stopped.

Each module defines its own ``mock`` (the upstream shape it needs); ``servers``
and ``service_for`` are shared. Module scope: a module's processes start once
and are stopped when its last test has run, whatever the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loadtests.systems.processes import ServerProcess
from tests.integration.service.service_support import Servers, ServiceFor


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    servers = Servers(tmp_path_factory.mktemp("servers"))
    try:
        yield servers
    finally:
        servers.stop_all()


@pytest.fixture(scope="module")
def service_for(servers: Servers, mock: ServerProcess) -> ServiceFor:
    """``service_for(variant, *flags)``: one service process per distinct argument list,
    started on first use, upstream the module's ``mock``."""
    started: dict[tuple[str, ...], ServerProcess] = {}

    def get(variant: str, *flags: str) -> ServerProcess:
        key = (variant, *flags)
        if key not in started:
            started[key] = servers.service(variant, mock.url, *flags)
        return started[key]

    return get
