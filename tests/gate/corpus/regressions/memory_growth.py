"""Per-request memory growth: every reply is kept, for good, in a module-level list.

The commit: "a /debug page with the recent replies", appending each reply to a list
that nothing ever trims, each kept in the buffer it was assembled in: a ``bytearray``
sized for the longest reply the model may send (256 KiB). 200 requests keep ~50 MB.

Caught by: ``leaks.rss_growth_mb`` (the service's RSS growth between two identical
rounds of 200 streams).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from tests.gate.corpus import service

MAX_REPLY_BYTES = 256 * 1024
RECENT_REPLIES: list[bytearray] = []


class DebugPageRelay(service.ChatRelay):
    async def tokens(self, prompt: str) -> AsyncGenerator[str]:
        reply = bytearray(MAX_REPLY_BYTES)
        RECENT_REPLIES.append(reply)
        end = 0
        async for token in super().tokens(prompt):
            data = token.encode()
            reply[end : end + len(data)] = data
            end += len(data)
            yield token


app = service.make_app(DebugPageRelay)
