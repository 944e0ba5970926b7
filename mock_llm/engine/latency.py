"""The latency model: pure functions from a seeded RNG to absolute deadlines.

Token k is due at ``start + ttft + sum(gaps[:k])``. Deadlines are absolute so
scheduling error never accumulates (a relative sleep per token drifts; see
docs/behaviours.md#mock-server-cost: 1.99 s for a 1.0 s stream at 100 streams).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import accumulate

from .request_random import Draws

NS_PER_MS = 1_000_000


def ms_to_ns(ms: float) -> int:
    return round(ms * NS_PER_MS)


def estimate_prompt_tokens(text: str) -> int:
    """About four characters per token, the usual rule of thumb for English.

    No tokenizer on purpose: nothing may be downloaded at run time, and the
    estimate only drives the prefill cost and the usage numbers.
    """
    return max(1, math.ceil(len(text) / 4)) if text else 0


def ttft_ns(base_ms: float, prefill_ms_per_token: float, prompt_tokens: int) -> int:
    """TTFT = base + per-prompt-token prefill cost."""
    return ms_to_ns(base_ms + prefill_ms_per_token * prompt_tokens)


def draw_gaps_ns(
    rng: Draws,
    count: int,
    *,
    mean_ms: float,
    distribution: str = "constant",
    jitter_ms: float = 0.0,
    slowdown: float = 1.0,
) -> list[int]:
    """``count`` inter-token gaps in ns, never negative.

    ``normal`` is N(mean, jitter) clipped at 0; ``lognormal`` has the given mean
    and standard deviation (so both read the same flags). ``slowdown`` scales
    every gap (the batching model: more active streams, slower decode).
    """
    if count <= 0:
        return []
    mean = mean_ms * slowdown
    if distribution == "constant" or jitter_ms <= 0 or mean <= 0:
        return [ms_to_ns(mean)] * count
    sd = jitter_ms * slowdown
    if distribution == "normal":
        return [ms_to_ns(max(0.0, rng.gauss(mean, sd))) for _ in range(count)]
    if distribution == "lognormal":
        sigma2 = math.log1p((sd / mean) ** 2)
        mu = math.log(mean) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return [ms_to_ns(rng.lognormvariate(mu, sigma)) for _ in range(count)]
    raise ValueError(f"unknown ITL distribution {distribution!r}")


def draw_output_tokens(
    rng: Draws,
    *,
    mode: str,
    tokens: int,
    spread: int,
    max_tokens: int | None,
) -> tuple[int, str]:
    """Output length and finish reason (``stop`` or ``length``).

    ``max_tokens`` always caps the length; hitting the cap is ``length``, as
    OpenAI reports it. Mode ``max_tokens`` generates exactly the cap.
    """
    if mode == "max_tokens" and max_tokens is not None:
        return max_tokens, "length"
    if mode == "uniform" and spread > 0:
        n = rng.randint(max(1, tokens - spread), tokens + spread)
    elif mode == "normal" and spread > 0:
        n = max(1, round(rng.gauss(tokens, spread)))
    else:
        n = tokens
    if max_tokens is not None and n >= max_tokens:
        return max_tokens, "length"
    return n, "stop"


def deadlines_ns(start_ns: int, first_ns: int, gaps_ns: Sequence[int]) -> list[int]:
    """Absolute due times: ``[start+first, start+first+g0, start+first+g0+g1, ...]``."""
    return list(accumulate(gaps_ns, initial=start_ns + first_ns))


def with_stall(deadlines: Sequence[int], at_index: int, stall_ns: int) -> list[int]:
    """Shift every deadline from ``at_index`` on by ``stall_ns`` (a stall before that token)."""
    return [d + stall_ns if i >= at_index else d for i, d in enumerate(deadlines)]
