"""The harness's control: its loop lag and the direct-to-mock streams; nothing else."""

from __future__ import annotations

from loadtests.gate.probes.harness import direct_failure, harness_numbers
from tests.unit.gate.measure.streams import stream


def test_a_full_direct_stream_is_fine() -> None:
    assert direct_failure(stream([1, 2, 3]), 3) is None


def test_direct_failures_say_what() -> None:
    assert direct_failure(stream([1, 2]), 3) == "r: 2 content events, not 3"
    assert direct_failure(stream([1], done=False), 1) == "r: no [DONE]"
    assert direct_failure(stream([], done=False, status=500), 0) == "r: HTTP 500"


def test_lag_over_the_threshold_or_a_failed_control_is_invalid() -> None:
    numbers, invalid = harness_numbers({"a": 1.0, "b": None, "c": 12.5}, [(stream([1]), 1)])
    assert numbers == {"client_loop_lag_p99_ms": 12.5, "direct_ok": True}
    assert len(invalid) == 1
    assert "event-loop lag p99 12.5 ms > 10 ms (c)" in invalid[0]
    numbers, invalid = harness_numbers({"a": 1.0}, [(stream([1]), 2)])
    assert numbers["direct_ok"] is False
    assert "1 of 1 direct-to-mock streams failed" in invalid[0]


def test_a_healthy_harness_is_valid() -> None:
    assert harness_numbers({"a": 0.5}, [(stream([1]), 1)]) == (
        {"client_loop_lag_p99_ms": 0.5, "direct_ok": True},
        [],
    )
