"""Server-side buffering: the whole reply is collected before the first byte is sent.

The commit: "store each exchange in the conversation history", done by gathering the
reply's events into a list, saving it, and only then sending them. The stream still
ends with [DONE] and carries every token: it just arrives all at once, at the end.

Caught by: ``buffering.direct`` (straight to the service, no proxy: events arrive in one
burst at the end instead of one by one).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from tests.gate.corpus import service

logger = logging.getLogger(__name__)


class HistoryRelay(service.ChatRelay):
    async def events(self, prompt: str) -> AsyncIterator[str]:
        reply = [event async for event in super().events(prompt)]
        logger.debug("saving %d events to the history", len(reply))
        for event in reply:
            yield event


app = service.make_app(HistoryRelay)
