"""A middleware that breaks disconnect handling: it awaits an audit write per body chunk.

The commit: "audit every response", as a pure ASGI middleware whose ``send`` wrapper
passes each message on and then awaits a write to the audit store (a ~2 ms round trip;
``asyncio.sleep`` stands in for it). A client that leaves right after a chunk leaves
while the response is inside that ``send``: Starlette's disconnect listener cancels the
send, not the generator, which stays parked at its ``yield`` with the upstream stream
open, and the upstream generates the rest of the reply for nobody
(docs/behaviours.md#client-disconnect).

Caught by: ``disconnect.`` (``disconnect.<mode>.tokens_after_max``: tokens the mock
generated after the client left).
"""

from __future__ import annotations

import asyncio

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.gate.corpus import service

AUDIT_ROUND_TRIP_S = 0.002


async def write_audit(path: str, body: bytes) -> None:
    """An awaited write to the audit store (its network round trip)."""
    await asyncio.sleep(AUDIT_ROUND_TRIP_S)


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def audited_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body":
                await write_audit(scope["path"], message.get("body", b""))

        await self.app(scope, receive, audited_send)


app = service.make_app(middleware=[Middleware(AuditMiddleware)])
