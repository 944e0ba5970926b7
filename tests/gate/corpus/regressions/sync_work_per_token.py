"""Synchronous work per token: each token is saved through a blocking client (~2 ms).

The commit: "let a client that reconnects resume the reply", by appending every token
to a resume cache with a *synchronous* Redis-style client inside the async generator.
Each call blocks the event loop for its round trip (``time.sleep`` stands in for the
2 ms socket wait), so at 50 concurrent streams every stream's next token waits behind
the other streams' saves: ~50 x 2 ms = ~100 ms per token on a 50 ms inter-token gap.

Caught by: ``per_token.`` (``per_token.concurrent.itl_p50_ratio`` / ``itl_p95_ratio``:
the service's inter-token latency over direct-to-mock's).
"""

from __future__ import annotations

import time

from tests.gate.corpus import service

CACHE_ROUND_TRIP_S = 0.002


def save_for_resume(token: str) -> None:
    """A synchronous cache write (``redis.Redis().rpush``): blocks for its round trip."""
    time.sleep(CACHE_ROUND_TRIP_S)


class ResumableRelay(service.ChatRelay):
    def token_event(self, token: str) -> str:
        save_for_resume(token)
        return super().token_event(token)


app = service.make_app(ResumableRelay)
