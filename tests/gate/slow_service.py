"""A seeded regression for the gate tests: the reference service, 50 ms slower per request.

The seed lives here, in the test tree, as an ASGI wrapper around the real
app: no switch in production code. Run: ``python -m tests.gate.slow_service
--port 0 --upstream URL`` (the service's own flags).
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from service.__main__ import bind, parse_settings
from service.app import create_app
from service.cli import announce_listening

DELAY_S = 0.050


class SleepPerRequest:
    """Waits ``delay_s`` before handing each streaming request to the app."""

    def __init__(self, app: ASGIApp, delay_s: float) -> None:
        self.app = app
        self.delay_s = delay_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/chat/stream":
            await asyncio.sleep(self.delay_s)
        await self.app(scope, receive, send)


class _Announcing(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        await super().startup(sockets=sockets)  # type: ignore[arg-type]
        if self.started:
            announce_listening(self._url)


def main() -> None:
    settings = parse_settings(sys.argv[1:], prog="slow_service")
    sock = bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        SleepPerRequest(create_app(settings), DELAY_S),
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        log_level="warning",
    )
    _Announcing(config, f"http://{host}:{port}").run(sockets=[sock])


if __name__ == "__main__":
    main()
