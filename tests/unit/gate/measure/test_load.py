"""Load numbers: TTFT p50 ratio, tokens/s over the wave's span, their ratio."""

from __future__ import annotations

from loadtests.gate.probes.load import load_numbers, tokens_per_s, ttft_p50_ms
from tests.unit.gate.measure.streams import stream

S = 1_000_000_000
MS = 1_000_000


def test_tokens_per_s_is_every_token_over_first_send_to_last_close() -> None:
    """30 + 30 tokens from 0 to 3 s -> 20 tokens/s."""
    streams = [
        stream(list(range(1, 31)), sent_ns=0, closed_ns=2 * S),
        stream(list(range(S, S + 30)), sent_ns=S, closed_ns=3 * S),
    ]
    assert tokens_per_s(streams) == 20.0


def test_no_streams_no_rate() -> None:
    assert tokens_per_s([]) is None


def test_ttft_p50_is_first_content_minus_sent() -> None:
    streams = [stream([50 * MS], sent_ns=0), stream([70 * MS, 80 * MS], sent_ns=10 * MS)]
    assert ttft_p50_ms(streams) == 55.0  # (50 + 60) / 2


def test_load_numbers_are_service_over_direct() -> None:
    service = [stream([100 * MS, S], sent_ns=0, closed_ns=S)]  # 2 tokens/s, TTFT 100 ms
    direct = [stream([50 * MS, 150 * MS, 250 * MS, 350 * MS], sent_ns=0, closed_ns=S)]
    numbers = load_numbers(service, direct, cpu_us_per_token=None, streams=1)
    assert numbers["ttft_p50_ratio"] == 2.0
    assert (numbers["tokens_per_s"], numbers["direct_tokens_per_s"]) == (2.0, 4.0)
    assert numbers["tokens_per_s_ratio"] == 0.5
    assert numbers["cpu_us_per_token"] is None
    assert numbers["streams"] == 1


def test_a_wave_without_tokens_gives_none_not_zero() -> None:
    numbers = load_numbers([], [], cpu_us_per_token=None)
    assert numbers["ttft_p50_ratio"] is None
    assert numbers["tokens_per_s_ratio"] is None
