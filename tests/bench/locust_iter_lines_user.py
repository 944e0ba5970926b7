"""Baseline for ``locust_user_cost``: the plain FastHttpUser way to read a stream.

``self.client.iter_lines()`` over an OpenAI-compatible stream, ``json.loads`` per
``data:`` line, nothing else, plus one ``TTFT (iter_lines)`` event per stream: the time
the first content line came out of ``iter_lines()``, to show what its 1024-byte reads
do to TTFT (docs/behaviours.md#locust). Loaded only by Locust (``-f``), never by pytest.
"""

from __future__ import annotations

import json
import time

from locust import FastHttpUser, constant, task

BODY = json.dumps(
    {
        "model": "mock-gpt",
        "messages": [{"role": "user", "content": "Say something."}],
        "stream": True,
    }
)
HEADERS = {"Content-Type": "application/json", "Accept-Encoding": "identity"}


class IterLinesUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def stream(self) -> None:
        sent = time.perf_counter()
        first: float | None = None
        for line in self.client.iter_lines(
            "/v1/chat/completions", method="POST", data=BODY, headers=HEADERS, name="stream"
        ):
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if first is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                first = time.perf_counter()
        if first is not None:
            self.environment.events.request.fire(
                request_type="SSE",
                name="TTFT (iter_lines)",
                response_time=(first - sent) * 1000,
                response_length=0,
                exception=None,
                context={},
            )
