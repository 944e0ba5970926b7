"""Faults: the client-side outcome of each injected upstream fault, in rule order."""

from __future__ import annotations

from loadtests.gate.probes.faults import FAULT_KINDS, fault_numbers, fault_one, outcome
from tests.unit.gate.measure.streams import sse, stream

S = 1_000_000_000


def _outcome(s: object, expected: str | None = "tt", bound_s: float = 8.0) -> str:
    return outcome(s.record, s.result, expected, bound_s)  # type: ignore[attr-defined]


def test_a_timeout_or_an_end_past_the_bound_is_a_hang() -> None:
    assert _outcome(stream([1], done=False, complete=False, error="timed out after 8.0 s")) == (
        "hang"
    )
    assert _outcome(stream([1, 2], closed_ns=9 * S)) == "hang"


def test_an_http_error_status_is_status() -> None:
    assert _outcome(stream([], done=False, status=503)) == "status"


def test_an_error_event_is_error_event() -> None:
    s = stream([1], done=False, extra=((2, sse('{"error": "upstream"}')),))
    assert _outcome(s) == "error_event"


def test_the_full_text_with_done_is_recovered() -> None:
    assert _outcome(stream([1, 2], texts=["t", "t"])) == "recovered"


def test_done_after_the_wrong_text_is_a_silent_end() -> None:
    """A service that swallows the error and sends [DONE] after 4 of 20 tokens."""
    assert _outcome(stream([1], texts=["t"])) == "silent_end"
    assert _outcome(stream([1, 2]), expected=None) == "silent_end"


def test_a_body_that_just_ends_is_a_silent_end_and_a_cut_one_an_error() -> None:
    assert _outcome(stream([1], done=False)) == "silent_end"
    assert _outcome(stream([1], done=False, complete=False, error="connection closed")) == "error"


def test_fault_one_counts_the_attempts_the_mock_saw() -> None:
    """A 429 sent once, then the SDK's retry: 2 records for the id, the second complete."""
    ledger = [
        {"finish_reason": "fault", "text": None, "tokens_planned": 0},
        {"finish_reason": "completed", "text": "tt", "tokens_planned": 2},
    ]
    f = fault_one(stream([1, 2], closed_ns=S // 2).record, stream([1, 2]).result, ledger)
    assert f == {"outcome": "recovered", "status": 200, "seconds": 0.5, "upstream_calls": 2}


def test_fault_numbers_take_the_most_calls() -> None:
    per_kind = {
        kind: {"outcome": "status", "status": 500, "seconds": 0.1, "upstream_calls": n}
        for kind, n in zip(FAULT_KINDS, (2, 3, 1, 1, 1), strict=True)
    }
    numbers = fault_numbers(per_kind)
    assert numbers["upstream_calls_per_request_max"] == 3
    assert numbers["upstream_calls_per_request_baseline_retries"] is None
    assert set(numbers) == {
        *FAULT_KINDS,
        "upstream_calls_per_request_max",
        "upstream_calls_per_request_baseline_retries",
    }
