"""``python -m tests.proxy.h11_service --variant NAME ...``: the service on uvicorn's h11.

Same app, settings and flags as ``python -m service``; only uvicorn's HTTP protocol
differs. h11 (what ``pip install uvicorn`` without ``[standard]`` runs) answers an
HTTP/1.0 request close-delimited, as HTTP/1.0 requires; httptools, which
``python -m service`` uses, answers it chunked. nginx's defaults speak HTTP/1.0 to the
upstream and relay a chunked body per chunk, so only under h11 do the defaults hold a
stream that lacks ``X-Accel-Buffering: no`` (docs/pitfalls/proxy_buffering.md).
"""

from __future__ import annotations

import sys

import uvicorn

# The service's own entry-point pieces, so flags and the listening line stay identical.
from service.__main__ import _AnnouncingServer, bind, parse_settings
from service.app import create_app


def main() -> None:
    settings = parse_settings(sys.argv[1:], prog="h11_service")
    sock = bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        create_app(settings),
        loop="uvloop",
        http="h11",
        lifespan="on",
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )
    _AnnouncingServer(config, f"http://{host}:{port}").run(sockets=[sock])


if __name__ == "__main__":
    main()
