"""A slower first token: +30 ms of awaited work before the upstream call.

The commit: "load the user's preferences before answering", an awaited database read
(~30 ms; ``asyncio.sleep`` stands in for it) placed before the model call instead of
alongside it. Nothing blocks; every reply simply starts 30 ms later.

Caught by: ``ttft.ratio`` (the service's time to first token over direct-to-mock's).
"""

from __future__ import annotations

import asyncio

from openai import AsyncStream
from openai.types.chat import ChatCompletionChunk

from tests.gate.corpus import service

PREFERENCES_READ_S = 0.030


async def load_preferences() -> dict[str, str]:
    """The user's preferences from the database (its round trip)."""
    await asyncio.sleep(PREFERENCES_READ_S)
    return {"tone": "neutral"}


class PersonalizedRelay(service.ChatRelay):
    async def open(self, prompt: str) -> AsyncStream[ChatCompletionChunk]:
        await load_preferences()
        return await super().open(prompt)


app = service.make_app(PersonalizedRelay)
