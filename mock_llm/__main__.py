"""``python -m mock_llm --port P`` (also ``streamgauge mock``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import sys
from collections.abc import Sequence

import uvloop

from .cli import announce_listening, parse_settings_cli
from .server import create_app
from .settings import MockSettings


def parse_settings(argv: Sequence[str], prog: str = "mock_llm") -> MockSettings:
    """Env (``MOCK_LLM_*``) then CLI flags; a bad value exits 2 with a one-line reason."""
    return parse_settings_cli(MockSettings, argv, prog)


async def _serve(settings: MockSettings, prog: str) -> None:
    app = create_app(settings)
    # One line: peer clients (ignore_eos, max_tokens) need to know which length they get.
    print(f"{prog}: length rule: {app.length_rule}", file=sys.stderr, flush=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    server = await app.serve(sock)
    host, port = sock.getsockname()[:2]
    announce_listening(f"http://{host}:{port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        app.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), timeout=1.0)


def main(argv: Sequence[str] | None = None, prog: str = "mock_llm") -> None:
    settings = parse_settings(sys.argv[1:] if argv is None else argv, prog)
    # Requests, streams, errors and closed connections create no reference
    # cycles (tests/unit/mock_llm/test_no_cycles.py): reference counting frees
    # everything, and the cyclic GC can only find nothing. At 1000 streams its
    # passes still cost 1-5 ms each (they scan every young stream and ledger
    # record), and a full pass over a full ledger (100k records) ~50 ms, while
    # every stream waits; so it is off unless asked for. Either way,
    # import-time objects are frozen out of every collection.
    gc.freeze()
    if not settings.cyclic_gc:
        gc.disable()
    uvloop.run(_serve(settings, prog))


if __name__ == "__main__":
    main()
