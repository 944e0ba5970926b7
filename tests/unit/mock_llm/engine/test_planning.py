"""A stream's length as planned: the settings' rule, a request's overrides, and ignore_eos."""

from __future__ import annotations

import dataclasses

import pytest

from mock_llm.engine.planning import length_rule, plan_stream
from mock_llm.engine.request_random import LazyRandom
from mock_llm.engine.vocabulary import Vocabulary
from mock_llm.http.completion_request import CompletionRequest
from mock_llm.overrides import NO_OVERRIDES, MockOverrides
from mock_llm.settings import MockSettings

REQUEST = CompletionRequest(
    endpoint="chat",
    model="any",
    prompt_text="hi",
    stream=True,
    include_usage=False,
    max_tokens=None,
    mock=None,
)


def planned(
    settings: MockSettings,
    max_tokens: int | None = None,
    *,
    ignore_eos: bool = False,
    overrides: MockOverrides = NO_OVERRIDES,
) -> tuple[int, str]:
    """(content tokens, finish reason) of the plan."""
    req = dataclasses.replace(REQUEST, max_tokens=max_tokens, ignore_eos=ignore_eos)
    plan = plan_stream(settings, Vocabulary(), req, overrides, None, LazyRandom(1), [])
    return sum(plan.chunk_tokens), plan.finish_reason


@pytest.mark.parametrize(
    ("max_tokens", "ignore_eos", "expected"),
    [
        (None, False, (50, "stop")),
        (None, True, (50, "stop")),  # nothing to run up to: the rule as it is
        (64, False, (50, "stop")),  # the case: 64 asked, 50 given, without ignore_eos
        (64, True, (64, "length")),
        (20, False, (20, "length")),
        (20, True, (20, "length")),
    ],
)
def test_ignore_eos_with_max_tokens_gives_exactly_max_tokens(
    max_tokens: int | None, ignore_eos: bool, expected: tuple[int, str]
) -> None:
    assert planned(MockSettings(), max_tokens, ignore_eos=ignore_eos) == expected


@pytest.mark.parametrize(
    "settings",
    [
        MockSettings(tokens=5),
        MockSettings(length_mode="uniform", tokens=10, tokens_spread=5),
        MockSettings(length_mode="normal", tokens=10, tokens_spread=5),
    ],
)
def test_ignore_eos_wins_over_every_other_rule(settings: MockSettings) -> None:
    assert planned(settings, 64, ignore_eos=True) == (64, "length")
    assert planned(settings, 64, ignore_eos=True, overrides=MockOverrides(tokens=3)) == (
        64,
        "length",
    )


def test_a_requests_tokens_replace_the_rule_and_max_tokens_caps_them() -> None:
    settings = MockSettings(length_mode="max_tokens")
    assert planned(settings, 30) == (30, "length")
    assert planned(settings, 30, overrides=MockOverrides(tokens=7)) == (7, "stop")
    assert planned(settings, 5, overrides=MockOverrides(tokens=7)) == (5, "length")
    assert planned(settings) == (50, "stop")


@pytest.mark.parametrize(
    ("settings", "starts"),
    [
        (MockSettings(), "50 tokens (length_mode fixed); "),
        (
            MockSettings(length_mode="max_tokens", tokens=20),
            "exactly max_tokens when the request sends it, else 20 tokens (length_mode max_tokens)",
        ),
        (
            MockSettings(length_mode="uniform", tokens=10, tokens_spread=15),
            "uniform 1..25 tokens (length_mode uniform)",
        ),
        (MockSettings(length_mode="uniform", tokens=10), "10 tokens (length_mode uniform)"),
        (
            MockSettings(length_mode="normal", tokens=10, tokens_spread=3),
            "normal(mean 10, sd 3) tokens, at least 1 (length_mode normal)",
        ),
    ],
)
def test_the_length_rule_says_what_plan_stream_does(settings: MockSettings, starts: str) -> None:
    rule = length_rule(settings)
    assert rule.startswith(starts)
    assert rule.endswith(
        "; a request's mock tokens replaces that with exactly its count; max_tokens caps "
        "either (finish_reason length); ignore_eos with max_tokens: exactly max_tokens, "
        "over every other rule"
    )
