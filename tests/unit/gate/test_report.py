"""The gate's output: full names, rounded numbers with units, a line per failing check."""

from __future__ import annotations

from loadtests.gate import report
from loadtests.gate import rules as gate
from loadtests.gate.baseline import stats
from tests.unit.gate.numbers import healthy


def _checks_with_two_failures() -> list[gate.Check]:
    now = healthy()
    now["per_token"]["concurrent"].update(itl_p95_ratio=21.0, itl_p95_ms=126.0)
    now["disconnect"]["close_after"]["tokens_after_max"] = 52
    return gate.compare(stats([healthy()] * 3), now)


def test_the_table_keeps_full_names_and_units() -> None:
    lines = report.table(_checks_with_two_failures())
    assert lines[0].split() == ["check", "baseline", "now", "limit", "bound", "verdict"]
    row = next(line for line in lines if line.startswith("disconnect.close_after.tokens_after"))
    assert row.split("  ")[0].strip() == "disconnect.close_after.tokens_after_max"
    assert "52 tokens" in row
    assert "<= 1 tokens" in row
    assert "invariant" in row
    ratio = next(line for line in lines if line.startswith("ttft.ratio"))
    assert "1.10x" in ratio


def test_each_failing_check_says_what_it_means_and_where_to_look() -> None:
    assert report.failures(_checks_with_two_failures()) == [
        "disconnect.close_after.tokens_after_max: the service keeps the upstream generation "
        "going after the user left (tokens paid for nobody): look for a middleware wrapping "
        "the streaming body, or a generator that does not close the upstream stream when it "
        "is cancelled",
        "per_token.concurrent.itl_p95_ratio: the service adds time between tokens under load: "
        "look for blocking or CPU-heavy work per chunk (service ITL p95 126.0 ms, direct 6.0 ms)",
    ]


def test_not_measured_now_says_so() -> None:
    now = healthy()
    del now["leaks"]
    (line,) = report.failures(gate.compare(stats([healthy()] * 3), now)[-3:-2])
    assert line.startswith("leaks.rss_growth_mb: measured at baseline but not now")


def test_markdown_and_json() -> None:
    checks = _checks_with_two_failures()
    md = report.markdown(checks, accepted=["disconnect.burst.tokens_after_max"])
    assert md.startswith("### streamgauge gate: FAIL")
    assert "| `disconnect.close_after.tokens_after_max` | 0 tokens | 52 tokens |" in md
    assert "❌ fail" in md
    assert "- per_token.concurrent.itl_p95_ratio: " in md
    assert "--accept-failing" in md
    doc = report.json_doc(checks, attempts=2, baseline="b.json", accepted=[], harness=[])
    assert doc["gate_schema_version"] == "2"
    assert doc["verdict"] == "fail"
    first = doc["checks"][0]
    assert set(first) == {"name", "baseline", "now", "limit", "verdict", "bound", "unit", "why"}


def test_the_baseline_table_shows_every_run_the_value_and_the_spread() -> None:
    slow = healthy()
    slow["ttft"]["ratio"] = 1.5
    lines = report.baseline_table(stats([healthy(), slow, healthy()]), {"ttft.ratio"})
    assert lines[0].split() == ["check", "runs", "baseline", "spread", "invariant"]
    assert lines[1].split("  ")[0] == "ttft.ratio"
    assert "1.10x, 1.50x, 1.10x" in lines[1]
    assert "1.10x (median)" in lines[1]
    assert lines[1].endswith("FAILS")
