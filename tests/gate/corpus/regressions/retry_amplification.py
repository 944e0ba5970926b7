"""Retry amplification: a hand-written retry loop around the whole stream, on any error.

The commit: "retry flaky upstream calls", as ``for attempt in range(4): try: <stream
it all> ... except Exception: continue`` on top of the SDK's own ``max_retries=2``. An
upstream that answers 500 now gets 4 x 3 = 12 calls per client request instead of 3,
and a failure mid-stream is retried after tokens were already sent.

Caught by: ``faults.upstream_calls_per_request`` (upstream calls per client request,
against the most the baseline made).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing

from tests.gate.corpus import service

logger = logging.getLogger(__name__)

ATTEMPTS = 4


class RetryingRelay(service.ChatRelay):
    async def events(self, prompt: str) -> AsyncIterator[str]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with aclosing(self.tokens(prompt)) as tokens:
                    async for token in tokens:
                        yield self.token_event(token)
            except Exception as exc:
                logger.warning("attempt %d failed: %r", attempt, exc)
                if attempt == ATTEMPTS:
                    yield self.error_event(exc)
                    return
                continue
            yield service.DONE
            return


app = service.make_app(RetryingRelay)
