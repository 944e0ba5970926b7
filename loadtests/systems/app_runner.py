"""``python -m loadtests.systems.app_runner MODULE:ATTR``: a team's ASGI app, unmodified.

Runs in the child process :func:`loadtests.systems.environment.app` starts: imports the
app the way uvicorn does (``--app-dir`` first on ``sys.path``), binds 127.0.0.1 port 0,
and prints the readiness line once the app's startup has run, so the harness never
guesses a port. Everything else is uvicorn's defaults: what the team would run.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence

import uvicorn

from .processes import LISTENING_PREFIX


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(f"{LISTENING_PREFIX}{self._url}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="app_runner", description=__doc__)
    parser.add_argument("app", metavar="MODULE:ATTR", help="the ASGI app, as uvicorn takes it")
    parser.add_argument("--app-dir", metavar="DIR", default=".", help="put DIR first on sys.path")
    parser.add_argument("--host", metavar="HOST", default="127.0.0.1", help="address to bind")
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, 0))
    sock.listen(2048)
    port = sock.getsockname()[1]
    sys.path.insert(0, args.app_dir)  # what ``uvicorn --app-dir`` does
    config = uvicorn.Config(args.app, log_level="warning")
    try:
        config.load()
    except SystemExit:
        # uvicorn already printed why (module or attribute not found).
        raise SystemExit(2) from None
    _AnnouncingServer(config, f"http://{args.host}:{port}").run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
