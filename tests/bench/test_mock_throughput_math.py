"""The mock benchmark's arithmetic, by hand (runs in the default suite; no servers)."""

from __future__ import annotations

from typing import Any

from tests.bench.mock_throughput import lateness_over_repeats, lateness_quantile_ms


def stats(counts: list[int], max_ns: int = 0) -> dict[str, Any]:
    return {
        "lateness_bucket_bounds_ns": [1_000_000, 2_000_000],
        "lateness_bucket_counts": counts,
        "lateness_max_ns": max_ns,
    }


def test_quantiles_are_bucket_upper_bounds_of_the_window() -> None:
    """Window = after - before: 90 tokens <= 1 ms, 9 in (1, 2] ms, 1 beyond (max 5 ms)."""
    before = stats([10, 0, 0])
    after = stats([100, 9, 1], max_ns=5_000_000)
    assert lateness_quantile_ms(before, after, 0.50) == 1.0
    assert lateness_quantile_ms(before, after, 0.99) == 2.0
    assert lateness_quantile_ms(before, after, 1.0) == 5.0
    assert lateness_quantile_ms(after, after, 0.99) is None  # nothing written in between


def test_repeats_are_judged_on_the_median_with_every_run_kept() -> None:
    runs = [
        {
            "lateness_p99_ms": p99,
            "steady_server_cpu_share": 0.75,
            "steady_cpu_us_per_token": 7.5,
            "stream_mean_over_ideal": 1.001,
        }
        for p99 in (1.5, 10.0, 1.75)
    ]
    summary = lateness_over_repeats(runs)
    assert summary["lateness_p99_ms"] == [1.5, 10.0, 1.75]
    assert summary["lateness_p99_ms_median"] == 1.75
    assert summary["runs_with_p99<=2ms"] == 2
