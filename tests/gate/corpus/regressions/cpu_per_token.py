"""CPU per token: every chunk is checked against a banned-phrase list in a Python loop.

The commit: "redact banned phrases", written as ``any(phrase in text for phrase in
BLOCKLIST)`` over a 40,000-phrase list for every chunk (instead of one automaton built
once). About 1.4 ms of pure-Python CPU per relayed token on top of the base's ~0.4 ms;
nothing waits on I/O, the service's core just runs out at 50 streams.

Caught by: ``load.cpu_us_per_token`` (the service process's CPU time per relayed token
at 50 concurrent streams, against the baseline's).
"""

from __future__ import annotations

import random

from tests.gate.corpus import service

# As if read from the policy team's list: deterministic, so every run costs the same.
_rng = random.Random(17)
BLOCKLIST: tuple[str, ...] = tuple(
    "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_rng.randint(6, 14)))
    for _ in range(40000)
)


def redact(text: str) -> str:
    lowered = text.casefold()
    if any(phrase in lowered for phrase in BLOCKLIST):
        return "[redacted]"
    return text


class RedactingRelay(service.ChatRelay):
    def token_event(self, token: str) -> str:
        return super().token_event(redact(token))


app = service.make_app(RedactingRelay)
