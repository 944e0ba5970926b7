"""Pure pieces of the runners, the ledger client and the lag verdict."""

from __future__ import annotations

import random

import pytest

from loadtests.client.ledger import after_leaving
from loadtests.client.loop_lag import lag_verdict
from loadtests.load.runners import arrival_offsets_ns


def test_constant_arrivals() -> None:
    """rate 4/s -> every 250 ms."""
    assert arrival_offsets_ns(3, 4.0, "constant", random.Random(0)) == [0, 250_000_000, 500_000_000]


def test_poisson_arrivals_are_seeded_with_the_right_mean() -> None:
    a = arrival_offsets_ns(20_000, 100.0, "poisson", random.Random(1))
    assert a == arrival_offsets_ns(20_000, 100.0, "poisson", random.Random(1))
    assert a[0] == 0
    assert a == sorted(a)
    mean_gap_ms = a[-1] / (len(a) - 1) / 1e6
    assert mean_gap_ms == pytest.approx(10.0, rel=0.03)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        arrival_offsets_ns(1, 0, "constant", random.Random())


def test_after_leaving_counts_writes_after_the_close() -> None:
    """writes [10, 20, 30, 40], closed at 25 -> 2 before, 2 after; savings 1 - 2/8."""
    record = {
        "id": "r",
        "token_write_ns": [10, 20, 30, 40],
        "tokens_generated": 4,
        "tokens_written": 4,
        "tokens_planned": 10,
        "disconnect_ns": 45,
        "closed_ns": 46,
        "completed_ns": 45,
        "finish_reason": "client_disconnected",
    }
    got = after_leaving(record, 25)
    assert (got.tokens_before_leaving, got.tokens_after_leaving) == (2, 2)
    assert got.upstream_closed_after_ms == pytest.approx(20 / 1e6)
    assert got.savings == pytest.approx(0.75)


def test_after_leaving_counts_unwritten_generation_in_continue_mode() -> None:
    record = {
        "id": "r",
        "token_write_ns": [10],
        "tokens_generated": 5,
        "tokens_written": 1,
        "tokens_planned": 5,
        "disconnect_ns": None,
        "closed_ns": None,
        "completed_ns": 100,
        "finish_reason": "client_disconnected",
    }
    got = after_leaving(record, 15)
    assert got.tokens_after_leaving == 4
    assert got.upstream_closed_after_ms == pytest.approx(85 / 1e6)


def test_lag_verdict() -> None:
    assert lag_verdict({"p99": 3.0}, 10) is None
    assert lag_verdict({"p99": None}, 10) is None
    reason = lag_verdict({"p99": 12.5}, 10)
    assert reason is not None
    assert "12.5 ms" in reason
