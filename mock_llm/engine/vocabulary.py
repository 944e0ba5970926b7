"""Deterministic token text: seeded words, hard tokens, or an echo of the prompt.

Token strings are JSON-encoded once per vocabulary, so writing a token costs a
dict lookup and a bytes join, not a ``json.dumps`` per token. The default
``words`` text is a window of one pre-drawn table at a seeded offset: a request
costs two list slices instead of a hundred draws and lookups.
"""

from __future__ import annotations

import json
import random
import re

from .request_random import Draws, mix64

WORDS: tuple[str, ...] = tuple(
    " " + w
    for w in [
        "the",
        "stream",
        "of",
        "tokens",
        "flows",
        "from",
        "model",
        "to",
        "user",
        "through",
        "an",
        "endpoint",
        "that",
        "must",
        "never",
        "block",
        "its",
        "event",
        "loop",
        "nor",
        "buffer",
        "a",
        "reply",
        "nor",
        "forget",
        "to",
        "close",
        "what",
        "it",
        "opened",
        "when",
        "the",
        "reader",
        "leaves",
        "early",
        "so",
        "every",
        "byte",
        "is",
        "measured",
        "at",
        "the",
        "socket",
        "latency",
        "throughput",
        "budget",
        "queue",
        "batch",
        "decode",
        "prefill",
        "cache",
        "proxy",
        "gateway",
    ]
)

# Tokens that break naive SSE framing, JSON escaping or byte-level splitting.
HARD: tuple[str, ...] = (
    "\n",
    "\n\n",
    "data: ",
    "data: [DONE]",
    '"',
    "\\",
    "\\n",
    "\r\n",
    "\t",
    "中文",
    "日本語",
    "🙂",
    "👩‍💻",
    "é",
    " ",
    ": comment",
    "</s>",
    "{}",
)

LONG_TOKEN_CHARS = 65_536

# The words table: long enough that windows of a few hundred tokens at
# different offsets read as different texts; its seed is fixed, the offset
# carries the request's seed.
WORD_TABLE_SIZE = 1 << 16
WORD_TABLE_SEED = 0x5EED

_ECHO_SPLIT = re.compile(r"\s*\S+")


def encode_json_string(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode()


class Vocabulary:
    """Draws token strings and hands out their pre-encoded JSON form."""

    def __init__(self) -> None:
        self._encoded: dict[str, bytes] = {t: encode_json_string(t) for t in (*WORDS, *HARD)}
        self._table = random.Random(WORD_TABLE_SEED).choices(WORDS, k=WORD_TABLE_SIZE)
        self._table_encoded = [self._encoded[w] for w in self._table]

    def words(self, seed: int, count: int) -> tuple[list[str], list[bytes]]:
        """``count`` words for a request seeded ``seed``, and their JSON literals.

        The same seed gives the same words; the table wraps around for very
        long outputs.
        """
        start = mix64(seed) % WORD_TABLE_SIZE
        stop = start + count
        if stop <= WORD_TABLE_SIZE:
            return self._table[start:stop], self._table_encoded[start:stop]
        idx = [i % WORD_TABLE_SIZE for i in range(start, stop)]
        return [self._table[i] for i in idx], [self._table_encoded[i] for i in idx]

    def encoded(self, text: str) -> bytes:
        cached = self._encoded.get(text)
        if cached is None:
            cached = encode_json_string(text)
            if len(self._encoded) < 100_000:
                self._encoded[text] = cached
        return cached

    def encode_all(self, texts: list[str]) -> list[bytes]:
        """JSON literals for many tokens (per request, so keep it a tight loop)."""
        get = self._encoded.get
        return [get(t) or self.encoded(t) for t in texts]

    def tokens(
        self, mode: str, count: int, rng: Draws, seed: int, prompt: str = ""
    ) -> tuple[list[str], list[bytes]]:
        """``count`` token strings of text mode ``mode`` and their JSON literals."""
        if mode == "words":
            return self.words(seed, count)
        texts = self.draw(rng, count, mode, prompt)
        return texts, self.encode_all(texts)

    @staticmethod
    def draw(rng: Draws, count: int, mode: str, prompt: str = "") -> list[str]:
        """``count`` tokens of the drawn modes (``words`` come from the table: :meth:`words`).

        ``hard`` mixes every HARD token in within the first 2x len(HARD).
        """
        if mode == "echo":
            words = _ECHO_SPLIT.findall(prompt) or [" echo"]
            # Repeats start with a space so cycling never glues two words together.
            return [
                words[i] if i < len(words) else " " + words[i % len(words)].lstrip()
                for i in range(count)
            ]
        if mode == "hard":
            pool = WORDS + HARD
            return [
                HARD[i // 2] if i % 2 and i // 2 < len(HARD) else rng.choice(pool)
                for i in range(count)
            ]
        if mode == "long":
            # 64 KiB tokens fill loopback socket buffers (~3 MB) within a second:
            # backpressure scenarios need a server really blocked in send().
            return [
                (w * (LONG_TOKEN_CHARS // len(w) + 1))[:LONG_TOKEN_CHARS]
                for w in rng.choices(WORDS, k=count)
            ]
        raise ValueError(f"text mode {mode!r} is not drawn per token")
