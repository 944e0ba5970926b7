"""Per-token numbers: pooled ITL percentiles, service over direct."""

from __future__ import annotations

from loadtests.gate.probes.per_token import itl_ms, per_token_numbers, ratio
from tests.unit.gate.measure.streams import stream

MS = 1_000_000


def test_gaps_are_pooled_over_streams_in_ms() -> None:
    streams = [stream([10 * MS, 30 * MS, 35 * MS]), stream([0, 5 * MS])]
    assert itl_ms(streams) == [20.0, 5.0, 5.0]


def test_a_stream_with_one_token_has_no_gap() -> None:
    assert itl_ms([stream([7 * MS])]) == []


def test_ratios_are_service_over_direct_per_percentile() -> None:
    """p50 of [10, 12, 14] is 12; p95 is 10 + 0.95 * 2 * 2 = 13.8; direct 10 -> 1.2, 1.38."""
    numbers = per_token_numbers([10.0, 12.0, 14.0], [10.0, 10.0, 10.0])
    assert numbers == {
        "itl_p50_ms": 12.0,
        "itl_p95_ms": 13.8,
        "direct_itl_p50_ms": 10.0,
        "direct_itl_p95_ms": 10.0,
        "itl_p50_ratio": 1.2,
        "itl_p95_ratio": 1.38,
    }


def test_no_gaps_or_a_zero_direct_gives_no_ratio_never_zero() -> None:
    numbers = per_token_numbers([], [0.0, 0.0])
    assert numbers["itl_p50_ms"] is None
    assert numbers["itl_p50_ratio"] is None
    assert ratio(5.0, 0.0) is None
    assert ratio(None, 1.0) is None
