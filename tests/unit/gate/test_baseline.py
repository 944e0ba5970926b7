"""A baseline knows its own noise: per check the runs, the median and the range."""

from __future__ import annotations

import pytest

from loadtests.gate.baseline import (
    GATE_SCHEMA_VERSION,
    BaselineError,
    Stat,
    document,
    load,
    stats,
    summarize,
)
from tests.unit.gate.numbers import CHECK_NAMES, healthy


def test_numbers_keep_the_median_and_the_range() -> None:
    """[0.9, 1.3, 1.0] -> 1.0 (median), spread 0.4 (1.3 - 0.9)."""
    assert summarize([0.9, 1.3, 1.0]) == Stat((0.9, 1.3, 1.0), 1.0, 0.4)


def test_a_max_summary_keeps_the_worst_run_and_no_spread() -> None:
    assert summarize([2, 3, 2], "max") == Stat((2, 3, 2), 3.0, 0.0, "max")


def test_runs_without_a_value_are_left_out() -> None:
    """[None, 10, 20] -> median of 10 and 20; all None -> no baseline value."""
    assert summarize([None, 10.0, 20.0]).baseline == 15.0
    assert summarize([None, None, None]).baseline is None


def test_outcomes_keep_the_most_common() -> None:
    stat = summarize(["streams", "buffered", "streams"])
    assert (stat.baseline, stat.spread) == ("streams", None)


def test_stats_over_runs_name_every_check_once() -> None:
    slow = healthy()
    slow["ttft"]["ratio"] = 1.5
    by_name = stats([healthy(), slow, healthy()])
    assert list(by_name) == CHECK_NAMES
    assert by_name["ttft.ratio"] == Stat((1.1, 1.5, 1.1), 1.1, 0.4)
    assert by_name["faults.upstream_calls_per_request"].summary == "max"


def test_the_document_has_schema_2_every_run_and_the_checks() -> None:
    runs = [healthy(), healthy(), healthy()]
    doc = document(runs, accepted_failing=[], about={"target": "your app main:app"})
    assert doc["gate_schema_version"] == GATE_SCHEMA_VERSION == "2"
    assert doc["runs"] == runs
    assert doc["checks"]["ttft.ratio"] == {
        "values": [1.1, 1.1, 1.1],
        "baseline": 1.1,
        "spread": 0.0,
        "summary": "median",
    }
    base = load(doc, "b.json")
    assert base.target == "your app main:app"
    assert base.proxy
    assert not any(n.startswith("buffering.") for n in base.without_proxy().checks)


def test_a_v1_baseline_is_refused_with_how_to_re_record() -> None:
    with pytest.raises(BaselineError, match=r"schema '1'.*record it again"):
        load({"gate_schema_version": "1", "numbers": {}}, "old.json")


def test_a_baseline_without_checks_is_refused() -> None:
    with pytest.raises(BaselineError, match="no usable 'checks'"):
        load({"gate_schema_version": "2"}, "b.json")
