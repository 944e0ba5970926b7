"""Verdict rules of the ttft, blocking and disconnect scenarios on hand-made numbers."""

from __future__ import annotations

from loadtests.client.ledger import AfterLeaving
from loadtests.client.prober import ProbeSample
from loadtests.scenarios import blocking, disconnect, ttft


def _ttft_numbers(p50: float | None, errors: int = 0) -> dict[str, object]:
    return {"errors": errors, "ttft_ms": {"p50": p50}}


def test_ttft_verdicts() -> None:
    """direct 50 ms: budget max(25, 0.25 x 50) = 25 ms."""
    s = ttft.DEFAULTS
    assert ttft.verdict(_ttft_numbers(74.0), 50.0, s) == "ok"
    assert ttft.verdict(_ttft_numbers(76.0), 50.0, s) == "slow"
    assert ttft.verdict(_ttft_numbers(60.0, errors=1), 50.0, s) == "broken"
    assert ttft.verdict(_ttft_numbers(None, errors=20), 50.0, s) == "broken"


def test_probe_numbers() -> None:
    """Latency is completion minus *intended* send time."""
    samples = [
        ProbeSample(100, 101, 100 + 10_000_000, 200),
        ProbeSample(200, 201, 200 + 60_000_000, 200),
        ProbeSample(300, 301, None, None),
    ]
    n = blocking.probe_numbers(samples, start_ns=0)
    assert n["probes"] == 3
    assert n["unanswered"] == 1
    assert n["latency_ms"]["max"] == 60.0
    assert n["share_over_50ms"] == 0.5
    assert n["series"][0] == [100 / 1e9, 10.0]


def test_blocking_classify() -> None:
    s = blocking.DEFAULTS

    def numbers(p99: float, spread: float | None, unanswered: int = 0) -> dict[str, object]:
        return {
            "probe": {"latency_ms": {"p99": p99}, "unanswered": unanswered},
            "ttft_spread_ms": spread,
        }

    assert blocking.classify(numbers(20, 10), s) == "ok"
    assert blocking.classify(numbers(4000, 4000), s) == "blocks"
    assert blocking.classify(numbers(20, 4000), s) == "blocks"
    assert blocking.classify(numbers(150, 10), s) == "inconclusive"
    assert blocking.classify(numbers(20, 10, unanswered=1), s) == "blocks"


def _left(after: int, before: int = 5, planned: int = 60, close_ms: float = 2.0) -> AfterLeaving:
    return AfterLeaving("r", planned, before, after, close_ms, "client_disconnected")


def test_disconnect_numbers_and_verdicts() -> None:
    """Two users: 0 and 1 tokens after; 55 + 55 not yet generated -> savings 1 - 1/110."""
    n = disconnect.mode_numbers([_left(0), _left(1)])
    assert n["tokens_after_leaving_total"] == 1
    assert n["tokens_after_leaving_max"] == 1
    assert n["savings_pct"] == 100 * (1 - 1 / 110)
    assert disconnect.classify(n, disconnect.DEFAULTS) == "ok"
    leaky = disconnect.mode_numbers([_left(55, close_ms=2200.0)])
    assert disconnect.classify(leaky, disconnect.DEFAULTS) == "leaks"
    slow_close = disconnect.mode_numbers([_left(0, close_ms=400.0)])
    assert disconnect.classify(slow_close, disconnect.DEFAULTS) == "leaks"
    assert disconnect.classify(disconnect.mode_numbers([]), disconnect.DEFAULTS) == "no_data"
