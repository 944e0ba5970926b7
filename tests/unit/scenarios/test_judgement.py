"""Plain-word judgements of a target, on hand-made scenario numbers."""

from __future__ import annotations

from typing import Any

from loadtests.client.records import RequestRecord
from loadtests.scenarios import judgement
from loadtests.scenarios.judgement import Judgement, exit_code
from loadtests.scenarios.result import ScenarioResult


def _result(
    name: str, numbers: dict[str, Any], verdicts: dict[str, str], **kw: Any
) -> ScenarioResult:
    return ScenarioResult(
        name=name, settings=kw.pop("settings", {}), numbers=numbers, verdicts=verdicts, **kw
    )


def _summary(
    p50: float | None, p99: float | None = None, mx: float | None = None
) -> dict[str, Any]:
    p99 = p50 if p99 is None else p99
    return {"p50": p50, "p99": p99, "max": p99 if mx is None else mx}


def test_ttft_ok_says_the_added_time() -> None:
    numbers = {
        "requests": 20,
        "errors": 0,
        "ttft_ms": _summary(52.0, 60.0),
        "ttft_p50_added_ms": 2.0,
    }
    j = judgement.judge_ttft(_result("ttft", {"target": numbers}, {"target": "ok"}))
    assert j == Judgement(
        "ttft", "ok", "TTFT p50 52.0 ms, p99 60.0 ms, +2.0 ms over direct-to-mock"
    )
    assert not j.problem


def test_ttft_with_failed_streams_is_broken_with_the_first_error() -> None:
    numbers = {"requests": 20, "errors": 20, "ttft_ms": _summary(None)}
    record = RequestRecord(request_id="a", scenario="ttft", target="t", intended_ns=None, sent_ns=0)
    record.error = "connection failed: refused"
    result = _result("ttft", {"target": numbers}, {"target": "broken"}, records=[record])
    j = judgement.judge_ttft(result)
    assert j.word == "broken"
    assert j.detail == "20 of 20 streams failed: connection failed: refused"


def test_blocking_names_the_stall() -> None:
    numbers = {
        "probe": {"probes": 100, "unanswered": 0, "latency_ms": _summary(150.0, 2953.0, 3100.0)},
        "ttfts_ms": [65.0, 4200.0],
        "stalls": [
            {"duration_ms": 980, "blocking_call": "socket.recv", "service_frame": "main.py:12"}
        ],
    }
    result = _result(
        "blocking", {"target": numbers}, {"target": "blocks"}, settings={"concurrency": 5}
    )
    j = judgement.judge_blocking(result)
    assert j.word == "blocks"
    assert j.detail == (
        "/healthz p99 2953 ms, max 3100 ms while 5 streams ran; first tokens at 0.07-4.20 s"
        "; stall 980 ms in socket.recv from main.py:12"
    )


def test_blocking_between_the_bounds_is_not_measurable() -> None:
    numbers = {
        "probe": {"probes": 100, "unanswered": 0, "latency_ms": _summary(20.0, 180.0)},
        "ttfts_ms": [],
    }
    settings = {"concurrency": 5, "ok_ms": 100.0, "block_ms": 250.0}
    j = judgement.judge_blocking(
        _result("blocking", {"target": numbers}, {"target": "inconclusive"}, settings=settings)
    )
    assert j.word == "not measurable"
    assert j.detail.endswith("between the ok (100.0 ms) and blocks (250.0 ms) bounds")


def _mode(
    users: int, after: int, missing: int = 0, failed: int = 0, closed: float | None = 5.0
) -> dict[str, Any]:
    return {
        "users": users,
        "users_never_sent_upstream": missing,
        "users_failed": failed,
        "tokens_after_leaving_total": after,
        "upstream_closed_after_ms": _summary(closed),
    }


def test_disconnect_counts_the_leaked_tokens_of_leaking_modes() -> None:
    numbers = {
        "target/close_after": _mode(1, 0),
        "target/stop_reading": _mode(1, 52, closed=4100.0),
    }
    verdicts = {"target/close_after": "ok", "target/stop_reading": "leaks"}
    j = judgement.judge_disconnect(_result("disconnect", numbers, verdicts))
    assert j.word == "leaks"
    assert j.detail == (
        "52 tokens; upstream closed up to 4100 ms after a user left; tokens generated upstream "
        "after users left, per mode: close_after 0, stop_reading 52"
    )


def test_disconnect_that_never_reached_the_mock_says_so_instead_of_zero() -> None:
    numbers = {
        "target/close_after": _mode(0, 0, missing=1),
        "target/burst": _mode(0, 0, missing=100),
    }
    verdicts = dict.fromkeys(numbers, "no_data")
    j = judgement.judge_disconnect(_result("disconnect", numbers, verdicts))
    assert j == Judgement("disconnect", "not measurable", judgement.NOT_FORWARDED)


def test_buffering_names_reads_and_the_burst_interval() -> None:
    numbers = {
        "events": 50, "arrivals_with_events": 3, "max_events_per_arrival": 21,
        "first_event_ms": 210.0, "ttft_ms": 210.0, "last_event_ms": 640.0,
    }  # fmt: skip
    j = judgement.judge_buffering(_result("buffering", {"direct": numbers}, {"direct": "buffered"}))
    assert j.word == "buffered"
    assert j.detail == (
        "50 events in 3 reads (max 21 per read), first token 210 ms, last 640 ms, "
        "bursts every 215 ms"
    )


def test_a_skipped_scenario_is_not_measurable_with_its_reason() -> None:
    result = _result("disconnect", {}, {}, skipped="needs --mock")
    assert judgement.judge_disconnect(result) == Judgement(
        "disconnect", "not measurable", "needs --mock"
    )


def test_exit_code_blames_the_service_first_then_the_harness() -> None:
    ok = Judgement("ttft", "ok", "")
    unknown = Judgement("disconnect", "not measurable", "x")
    leak = Judgement("disconnect", "leaks", "3 tokens")
    assert exit_code([ok]) == 0
    assert exit_code([ok, unknown]) == 2
    assert exit_code([ok, unknown, leak]) == 1
