"""A request's randomness: a pure function of (seed, arrival sequence number).

Seeding a Mersenne Twister costs ~4.5 us, a large share of a request's
budget at 1000 new streams per second, and a request with default settings
draws nothing (constant ITL, fixed length, words from the pre-drawn table).
So the request's :class:`random.Random` is built on its first draw.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")

_MASK64 = (1 << 64) - 1


def request_seed(seed: int, seq: int) -> int:
    """The seed of request ``seq`` (1-based arrival order) on a server seeded ``seed``."""
    return seed * 1_000_003 + seq


def mix64(x: int) -> int:
    """SplitMix64's finaliser: a cheap, well-spread 64-bit hash of ``x``."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class Draws(Protocol):
    """The draws the mock makes; :class:`random.Random` satisfies it."""

    def random(self) -> float: ...
    def randint(self, a: int, b: int) -> int: ...
    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float: ...
    def lognormvariate(self, mu: float, sigma: float) -> float: ...
    def choice(self, seq: Sequence[T]) -> T: ...
    def choices(self, population: Sequence[T], *, k: int = 1) -> list[T]: ...


class LazyRandom:
    """``random.Random(seed)``, built when something first draws from it."""

    __slots__ = ("_rng", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._rng: random.Random | None = None

    def _real(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(self.seed)
        return self._rng

    def random(self) -> float:
        return self._real().random()

    def randint(self, a: int, b: int) -> int:
        return self._real().randint(a, b)

    def gauss(self, mu: float = 0.0, sigma: float = 1.0) -> float:
        return self._real().gauss(mu, sigma)

    def lognormvariate(self, mu: float, sigma: float) -> float:
        return self._real().lognormvariate(mu, sigma)

    def choice(self, seq: Sequence[T]) -> T:
        return self._real().choice(seq)

    def choices(self, population: Sequence[T], *, k: int = 1) -> list[T]:
        return self._real().choices(population, k=k)

    @property
    def drawn(self) -> bool:
        """Whether anything drew from it (tests check the default path draws nothing)."""
        return self._rng is not None
