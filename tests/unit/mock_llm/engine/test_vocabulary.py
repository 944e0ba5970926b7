"""Token text: seeded words from the pre-drawn table, hard tokens, echo and long tokens."""

from __future__ import annotations

import json
import random

from mock_llm.engine.request_random import LazyRandom
from mock_llm.engine.vocabulary import HARD, WORD_TABLE_SIZE, Vocabulary


def test_hard_mode_contains_every_hard_token() -> None:
    tokens = Vocabulary.draw(random.Random(0), 2 * len(HARD), "hard")
    assert set(HARD) <= set(tokens)


def test_words_mode_is_seeded() -> None:
    vocab = Vocabulary()
    a, encoded = vocab.words(1, 20)
    assert (a, encoded) == Vocabulary().words(1, 20)
    assert a != vocab.words(2, 20)[0]
    assert encoded == [json.dumps(w).encode() for w in a]


def test_words_wrap_around_the_table() -> None:
    """Outputs longer than the table still come out whole and seeded."""
    vocab = Vocabulary()
    texts, encoded = vocab.words(3, WORD_TABLE_SIZE + 10)
    assert len(texts) == len(encoded) == WORD_TABLE_SIZE + 10
    assert texts[:10] == texts[WORD_TABLE_SIZE:]


def test_words_draw_nothing_from_the_request_random() -> None:
    """The default text costs no Mersenne Twister seeding (see request_random)."""
    rng = LazyRandom(7)
    Vocabulary().tokens("words", 50, rng, seed=7)
    assert not rng.drawn
    Vocabulary().tokens("hard", 50, rng, seed=7)
    assert rng.drawn


def test_echo_cycles_with_spaces() -> None:
    assert Vocabulary.draw(random.Random(), 4, "echo", "a b") == ["a", " b", " a", " b"]


def test_long_mode_tokens_are_64_kib() -> None:
    tokens = Vocabulary.draw(random.Random(0), 3, "long")
    assert [len(t) for t in tokens] == [65_536] * 3
