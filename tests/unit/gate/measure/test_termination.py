"""Termination: the format's terminator or an error; a body that just ends is silent."""

from __future__ import annotations

from loadtests.gate.probes.termination import ending, termination_numbers
from tests.unit.gate.measure.streams import sse, stream


def test_done_terminates() -> None:
    assert ending(stream([1, 2])) == "terminated"


def test_a_complete_body_without_done_is_a_silent_truncation() -> None:
    """sse-json sets ``done`` on a complete body (metrics contract 2); this check does not."""
    s = stream([1, 2], done=False, complete=True)
    assert s.result.done
    assert ending(s) == "silent"


def test_an_error_event_or_status_terminates() -> None:
    assert ending(stream([1], done=False, extra=((2, sse('{"error": "x"}')),))) == "terminated"
    assert ending(stream([], done=False, status=500)) == "terminated"


def test_a_cut_connection_is_broken_not_silent() -> None:
    s = stream([1], done=False, complete=False, error="connection closed")
    assert ending(s) == "broken"


def test_numbers_count_each_ending() -> None:
    streams = [
        stream([1]),
        stream([1], done=False),
        stream([1], done=False),
        stream([1], done=False, complete=False, error="cut"),
    ]
    assert termination_numbers(streams) == {
        "streams": 4,
        "terminated": 1,
        "silent_truncations": 2,
        "broken": 1,
    }
