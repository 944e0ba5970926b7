"""Leaks: growth from round 1 to round 2; what the mock still serves after clients left."""

from __future__ import annotations

from loadtests.gate.probes.leaks import LeakSample, leak_numbers, upstream_open

MB = 2**20


def test_growth_is_round_two_minus_round_one_not_the_warm_up() -> None:
    samples = [LeakSample(100 * MB, 30), LeakSample(110 * MB, 52), LeakSample(131 * MB, 53)]
    numbers = leak_numbers(samples, 0, 50)
    assert numbers["rss_growth_mb"] == 21.0
    assert numbers["open_connections_growth"] == 1
    assert numbers["upstream_open_after_clients_left"] == 0
    assert numbers["rss_mb"] == [100.0, 110.0, 131.0]


def test_without_a_pid_growth_is_none_never_zero() -> None:
    samples = [LeakSample(None, None)] * 3
    numbers = leak_numbers(samples, 2, None)
    assert numbers["rss_growth_mb"] is None
    assert numbers["open_connections_growth"] is None
    assert numbers["upstream_open_after_clients_left"] == 2


def test_upstream_open_counts_responses_in_flight_and_idle_connections_apart() -> None:
    stats = {"active_streams": 3, "queued": 1, "open_connections": 24}
    assert upstream_open(stats) == (4, 20)
    assert upstream_open({}) == (None, None)
    assert upstream_open({"active_streams": 0}) == (0, None)
