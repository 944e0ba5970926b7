"""Swallowed upstream error: a failure mid-stream is logged and the stream just ends.

The commit: "don't show users raw provider errors", turning the error event into a log
line and a ``return``. The client gets part of a reply, then the end of the body, with
neither [DONE] nor an error: it cannot tell the reply was cut.

Caught by: ``faults.error_mid_stream`` (the mock sends an error event instead of chunk
5: the outcome is ``silent_end``, not ``error_event``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

from tests.gate.corpus import service

logger = logging.getLogger(__name__)


class QuietRelay(service.ChatRelay):
    async def events(self, prompt: str) -> AsyncIterator[str]:
        try:
            async with aclosing(self.tokens(prompt)) as tokens:
                async for token in tokens:
                    yield self.token_event(token)
        except service.UPSTREAM_ERRORS:
            logger.exception("upstream failed mid-reply")
            return
        yield service.DONE


app = service.make_app(QuietRelay)
