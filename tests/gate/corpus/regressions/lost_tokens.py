"""Lost tokens: a keep-alive meant to go *between* chunks goes out *instead of* every 10th.

The commit: "send an SSE comment every 10 chunks so idle proxies keep the connection",
written as ``if n % 10 == 0: <keep-alive> elif token: <token>``: the 10th, 20th, ...
chunk's text is never sent. The stream still ends with [DONE].

Caught by: ``integrity.mismatched_streams`` (each stream's text against what the mock
generated for that request).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from tests.gate.corpus import service

KEEPALIVE_EVERY = 10
KEEPALIVE = ": keep-alive\n\n"


class KeepAliveRelay(service.ChatRelay):
    async def events(self, prompt: str) -> AsyncIterator[str]:
        try:
            async with aclosing(self.tokens(prompt)) as tokens:
                n = 0
                async for token in tokens:
                    n += 1
                    if n % KEEPALIVE_EVERY == 0:
                        yield KEEPALIVE
                    elif token:
                        yield self.token_event(token)
        except service.UPSTREAM_ERRORS as exc:
            yield self.error_event(exc)
            return
        yield service.DONE


app = service.make_app(KeepAliveRelay)
