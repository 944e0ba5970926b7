"""The buffering detector on hand-made arrival lists (ns, request sent at 0)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from loadtests.scenarios.buffering_detector import (
    BufferingEvidence,
    decompressed_reads,
    detect_buffering,
    is_gzip,
)


def test_one_event_per_read_streams() -> None:
    """[20, 40, 60, 80]: 4 arrivals, 1 per read, first at 25% of the stream -> streams."""
    assert detect_buffering(0, [20, 40, 60, 80]) == BufferingEvidence(
        n_events=4,
        n_arrivals=4,
        events_per_arrival=1.0,
        max_events_per_arrival=1,
        max_gap_ns=20,
        first_event_share=0.25,
        verdict="streams",
    )


def test_everything_in_one_read_is_buffered() -> None:
    """50 events all at 1040: one arrival, 50 per read, first event share 1.0 -> buffered."""
    evidence = detect_buffering(0, [1040] * 50)
    assert (evidence.n_arrivals, evidence.events_per_arrival) == (1, 50.0)
    assert evidence.first_event_share == 1.0
    assert evidence.max_gap_ns is None
    assert evidence.verdict == "buffered"


def test_per_buffer_flushes_are_buffered() -> None:
    """Two 4 KB flushes of 3 events each: 6 / 2 = 3 events per read -> buffered."""
    evidence = detect_buffering(100, [400, 400, 400, 700, 700, 700])
    assert evidence.events_per_arrival == 3.0
    assert evidence.max_gap_ns == 300
    assert evidence.verdict == "buffered"


def test_exactly_two_events_per_read_is_buffered() -> None:
    """The merge threshold is inclusive: [10, 10, 20, 20] is 2.0 per read -> buffered."""
    assert detect_buffering(0, [10, 10, 20, 20]).verdict == "buffered"


def test_an_occasional_merge_still_streams() -> None:
    """A stalled client merged one pair out of 6: 6 / 5 = 1.2 per read -> streams."""
    evidence = detect_buffering(0, [20, 40, 60, 60, 80, 100])
    assert evidence.events_per_arrival == 1.2
    assert evidence.max_events_per_arrival == 2
    assert evidence.verdict == "streams"


def test_held_to_the_end_then_released_in_bursts_is_buffered() -> None:
    """First event at 900 of 1000 (share 0.9) and one read carried 2 events: buffered,
    though the mean (5 / 4 = 1.25 per read) is under the merge threshold."""
    evidence = detect_buffering(0, [900, 950, 950, 980, 1000])
    assert evidence.events_per_arrival == 1.25
    assert evidence.first_event_share == 0.9
    assert evidence.verdict == "buffered"


def test_late_but_unmerged_streams() -> None:
    """A long TTFT alone is not buffering: share 0.9 with one event per read -> streams."""
    assert detect_buffering(0, [900, 925, 950, 975, 1000]).verdict == "streams"


@pytest.mark.parametrize("arrivals", [[], [500]])
def test_fewer_than_two_events_is_inconclusive(arrivals: list[int]) -> None:
    """Nothing can merge with fewer than two events."""
    assert detect_buffering(0, arrivals).verdict == "inconclusive"


def test_gzip_body_inflates_read_by_read_keeping_arrival_times() -> None:
    """Each compressed read inflates to the text it completes, stamped with its arrival."""
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    first = compressor.compress(b"data: a\n\n") + compressor.flush(zlib.Z_SYNC_FLUSH)
    second = compressor.compress(b"data: b\n\n") + compressor.flush()
    reads = [(10, first), (30, second)]
    assert is_gzip(reads)
    assert decompressed_reads(reads) == [(10, b"data: a\n\n"), (30, b"data: b\n\n")]


def test_a_read_splitting_the_gzip_header_inflates_to_nothing_yet() -> None:
    """Bytes that complete no output give ``b""``; the text counts at the next read."""
    body = gzip.compress(b"data: a\n\n")
    reads = [(5, body[:4]), (9, body[4:])]
    assert is_gzip(reads)
    assert decompressed_reads(reads) == [(5, b""), (9, b"data: a\n\n")]


def test_gzip_magic_split_across_reads_is_recognized() -> None:
    assert is_gzip([(1, b"\x1f"), (2, b"\x8b\x08")])


@pytest.mark.parametrize("reads", [[], [(1, b"data: x\n\n")], [(1, b"\x1f")]])
def test_plain_or_empty_bodies_are_not_gzip(reads: list[tuple[int, bytes]]) -> None:
    assert not is_gzip(reads)


def test_a_corrupt_gzip_body_raises() -> None:
    with pytest.raises(zlib.error):
        decompressed_reads([(1, b"\x1f\x8b\x08\x00garbage-garbage")])
