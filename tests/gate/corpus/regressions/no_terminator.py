"""Missing terminator: the stream no longer ends with ``data: [DONE]``.

The commit: "the browser sees the body end anyway", dropping the final [DONE] event. A
client can no longer tell a complete reply from one cut short (a proxy timeout, a
crashed worker): every stream is a silent truncation.

Caught by: ``termination.silent_truncations`` (streams that end with neither the
format's terminator nor an error event).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from tests.gate.corpus import service


class NoDoneRelay(service.ChatRelay):
    async def events(self, prompt: str) -> AsyncIterator[str]:
        try:
            async with aclosing(self.tokens(prompt)) as tokens:
                async for token in tokens:
                    yield self.token_event(token)
        except service.UPSTREAM_ERRORS as exc:
            yield self.error_event(exc)


app = service.make_app(NoDoneRelay)
