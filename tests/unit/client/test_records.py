"""RequestRecord keeps raw reads with their arrival times; unset is None, never 0."""

from __future__ import annotations

import json

import pytest

from loadtests.client.records import RequestRecord, default_clock


def make_record(**overrides: object) -> RequestRecord:
    fields: dict[str, object] = {
        "request_id": "r1",
        "scenario": "steady",
        "target": "service",
        "sent_ns": 1_000,
    }
    fields.update(overrides)
    return RequestRecord(**fields)  # type: ignore[arg-type]


def test_unset_fields_are_none() -> None:
    """A fresh record has no times, status or error: None, not 0."""
    record = make_record()
    assert record.intended_ns is None
    assert record.headers_ns is None
    assert record.status is None
    assert record.closed_ns is None
    assert record.error is None
    assert record.reads == []
    assert record.first_byte_ns is None
    assert record.last_read_ns is None
    assert record.schedule_lag_ns is None


def test_fields_are_keyword_only() -> None:
    """Positional construction is refused, so swapped timestamps cannot slip in."""
    with pytest.raises(TypeError):
        RequestRecord("r1", "s", "t", None, 1)  # type: ignore[call-arg]


def test_reads_are_kept_in_order_with_arrival_times() -> None:
    """First byte time is the first read's arrival; bytes are counted."""
    record = make_record()
    record.add_read(1_050, b"data: a\n\n")
    record.add_read(1_080, b"data: b\n\n")
    assert record.reads == [(1_050, b"data: a\n\n"), (1_080, b"data: b\n\n")]
    assert record.first_byte_ns == 1_050
    assert record.last_read_ns == 1_080
    assert record.bytes_received == 18


def test_reads_lists_are_not_shared() -> None:
    """Each record gets its own reads list."""
    a, b = make_record(), make_record()
    a.add_read(1, b"x")
    assert b.reads == []


def test_schedule_lag_is_sent_minus_intended() -> None:
    """An open-loop request sent 30 ns late has a lag of 30."""
    assert make_record(intended_ns=970).schedule_lag_ns == 30


def test_to_dict_drops_bytes_keeps_derived_fields() -> None:
    """The JSON form has no raw bytes but has first byte, counts and lag."""
    record = make_record(intended_ns=990, headers_ns=1_020, status=200, closed_ns=1_100)
    record.add_read(1_050, b"abc")
    record.add_read(1_090, b"de")
    out = record.to_dict()
    assert out == {
        "request_id": "r1",
        "scenario": "steady",
        "target": "service",
        "intended_ns": 990,
        "sent_ns": 1_000,
        "headers_ns": 1_020,
        "status": 200,
        "closed_ns": 1_100,
        "error": None,
        "first_byte_ns": 1_050,
        "last_read_ns": 1_090,
        "n_reads": 2,
        "bytes_received": 5,
        "schedule_lag_ns": 10,
    }


def test_to_dict_read_timings() -> None:
    """With read_timings, arrival times and sizes of each read are kept."""
    record = make_record()
    record.add_read(1_050, b"abc")
    record.add_read(1_090, b"de")
    out = record.to_dict(read_timings=True)
    assert out["read_arrivals_ns"] == [1_050, 1_090]
    assert out["read_sizes"] == [3, 2]


def test_to_json_is_one_line_of_valid_json() -> None:
    """to_json round-trips through json.loads to to_dict, on a single line."""
    record = make_record(error="timeout")
    record.add_read(1_050, b"\xff\n")
    line = record.to_json()
    assert "\n" not in line
    assert json.loads(line) == record.to_dict()


def test_default_clock_is_monotonic_integer_ns() -> None:
    """The default clock returns non-decreasing ints."""
    a = default_clock()
    b = default_clock()
    assert isinstance(a, int)
    assert b >= a
