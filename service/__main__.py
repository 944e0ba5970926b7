"""``python -m service --variant NAME --port 0 --upstream URL`` (also ``streamgauge serve``).

Settings come from env (``SERVICE_*``) with CLI flags on top (kebab-case field
names, ``--upstream`` for ``--upstream-base-url``). A bad value exits 2 with one
line per problem. The socket is bound here (port 0 is fine) and its URL printed
once, after startup, via :func:`service.cli.announce_listening`.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Sequence

import uvicorn

from .app import create_app
from .cli import announce_listening, parse_settings_cli
from .settings import ServiceSettings


def parse_settings(argv: Sequence[str], prog: str = "service") -> ServiceSettings:
    """Env then CLI flags; a bad value exits 2 with a one-line reason per field."""
    return parse_settings_cli(
        ServiceSettings, argv, prog, shortcuts={"upstream-base-url": "upstream"}
    )


class _AnnouncingServer(uvicorn.Server):
    """Prints the listening line once the app has started (warm-up done)."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            announce_listening(self._url)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        print(f"service: error: cannot bind {host}:{port}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(2) from None
    sock.listen(2048)
    return sock


def main(argv: Sequence[str] | None = None, prog: str = "service") -> None:
    settings = parse_settings(sys.argv[1:] if argv is None else argv, prog)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    sock = bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    url_host = f"[{host}]" if ":" in host else host
    config = uvicorn.Config(
        create_app(settings),
        loop="uvloop",
        http=settings.http,
        lifespan="on",
        log_level=settings.log_level,
        # Our basicConfig (stderr) instead of uvicorn's, whose access log goes
        # to stdout: a pipe nobody drains once the URL line has been read.
        log_config=None,
        access_log=settings.access_log,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    _AnnouncingServer(config, f"http://{url_host}:{port}").run(sockets=[sock])


if __name__ == "__main__":
    main()
