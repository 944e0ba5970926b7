"""A request's randomness: built on the first draw, drawing exactly like ``random.Random``."""

from __future__ import annotations

import random

from mock_llm.engine.request_random import LazyRandom


def test_lazy_random_draws_like_random() -> None:
    assert [LazyRandom(5).random() for _ in range(2)] == [random.Random(5).random()] * 2
    lazy, real = LazyRandom(5), random.Random(5)
    assert [lazy.randint(1, 9), lazy.gauss(0, 1), lazy.choices("abc", k=3)] == [
        real.randint(1, 9),
        real.gauss(0, 1),
        real.choices("abc", k=3),
    ]
