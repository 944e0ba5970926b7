"""Per-request overrides and token text."""

from __future__ import annotations

import json
import random

import pytest

from mock_llm.overrides import parse_overrides
from mock_llm.request_random import LazyRandom
from mock_llm.vocabulary import HARD, WORD_TABLE_SIZE, Vocabulary
from mock_llm.wire import ApiError


def test_headers_and_body_merge_body_wins() -> None:
    ov = parse_overrides({"itl_ms": 5}, {"x-mock-itl-ms": "9", "x-mock-ttft-ms": "50"})
    assert ov.itl_ms == 5
    assert ov.ttft_ms == 50


def test_fault_from_header_json_or_bare_kind() -> None:
    ov = parse_overrides(None, {"x-mock-fault": '{"kind": "drop", "at": 3, "mode": "reset"}'})
    assert ov.fault is not None
    assert (ov.fault.kind, ov.fault.at, ov.fault.mode) == ("drop", 3, "reset")
    bare = parse_overrides(None, {"x-mock-fault": "no_done"}).fault
    assert bare is not None
    assert bare.kind == "no_done"


@pytest.mark.parametrize(
    ("body", "headers"),
    [({"nope": 1}, {}), ({"tokens": 0}, {}), (None, {"x-mock-fault": "{bad"}), ("x", {})],
)
def test_invalid_overrides_are_400(body: object, headers: dict[str, str]) -> None:
    with pytest.raises(ApiError) as info:
        parse_overrides(body, headers)
    assert info.value.status == 400
    assert info.value.param == "mock"


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


def test_lazy_random_draws_like_random() -> None:
    assert [LazyRandom(5).random() for _ in range(2)] == [random.Random(5).random()] * 2
    lazy, real = LazyRandom(5), random.Random(5)
    assert [lazy.randint(1, 9), lazy.gauss(0, 1), lazy.choices("abc", k=3)] == [
        real.randint(1, 9),
        real.gauss(0, 1),
        real.choices("abc", k=3),
    ]


def test_echo_cycles_with_spaces() -> None:
    assert Vocabulary.draw(random.Random(), 4, "echo", "a b") == ["a", " b", " a", " b"]


def test_long_mode_tokens_are_64_kib() -> None:
    tokens = Vocabulary.draw(random.Random(0), 3, "long")
    assert [len(t) for t in tokens] == [65_536] * 3
