"""The bare writer's lateness stamps, folded by hand (default suite; no sockets)."""

from __future__ import annotations

import json

from mock_llm.stats import LATENESS_BOUNDS_NS
from tests.bench.bare_stream_app import WriteStamps


def test_snapshot_folds_stamps_into_the_mocks_histogram() -> None:
    """Lateness 0 (early), 0.1 ms, 0.3 ms, 3 ms: buckets (..0.25], (0.25..0.5], (2.75..3]."""
    stamps = WriteStamps()
    stamps.written_ns.extend([900, 2_100_000, 3_300_000, 7_000_000])
    stamps.deadlines_ns.extend([1_000, 2_000_000, 3_000_000, 4_000_000])
    snap = json.loads(stamps.snapshot())
    counts = snap["lateness_bucket_counts"]
    assert snap["tokens_written"] == 4
    assert snap["lateness_bucket_bounds_ns"] == list(LATENESS_BOUNDS_NS)
    assert counts[0] == 2  # early (counted as 0) and 0.1 ms
    assert counts[1] == 1  # 0.3 ms
    assert counts[11] == 1  # 3 ms: (2.75, 3.0]
    assert sum(counts) == 4
    assert snap["lateness_max_ns"] == 3_000_000
    assert len(stamps.written_ns) == len(stamps.deadlines_ns) == 0  # folded, not kept


def test_a_second_snapshot_adds_only_the_new_writes() -> None:
    stamps = WriteStamps()
    stamps.written_ns.append(5_000_000)
    stamps.deadlines_ns.append(4_000_000)
    json.loads(stamps.snapshot())
    stamps.written_ns.append(6_000_000)
    stamps.deadlines_ns.append(6_000_000)
    snap = json.loads(stamps.snapshot())
    assert snap["tokens_written"] == 2
    assert snap["lateness_bucket_counts"][0] == 1
    assert snap["lateness_bucket_counts"][3] == 1  # 1 ms: (0.75, 1.0]
