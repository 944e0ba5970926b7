"""The corpus table counts what the evidence file says, nothing else."""

from __future__ import annotations

from tests.gate.corpus_table import render, row


def _gate(code: int, failing: list[str], wall_s: float) -> dict[str, object]:
    return {
        "exit_code": code,
        "verdict": "fail" if code else "pass",
        "failing": failing,
        "wall_s": wall_s,
    }


def test_a_regression_row_counts_catches_and_other_failing_checks() -> None:
    entry = {
        "expected": "faults.",
        "runs": 2,
        "passed": 0,
        "caught_by_its_check": 1,
        "gates": [
            _gate(1, ["faults.status_500", "ttft.ratio"], 70.2),
            _gate(1, ["ttft.ratio"], 74.9),
        ],
    }
    assert row("swallows_error", entry) == (
        "| `swallows_error` | `faults.` | 2 | 0 of 2 | 1 of 2 | `ttft.ratio` (2) | 70-75 s |"
    )


def test_the_base_row_lists_any_failing_check() -> None:
    entry = {
        "expected": "pass",
        "runs": 2,
        "passed": 1,
        "caught_by_its_check": 0,
        "gates": [_gate(0, [], 35.0), _gate(1, ["load.ttft_p50_ratio"], 35.4)],
    }
    assert row("service", entry) == (
        "| unchanged base (`service`) | pass | 2 | 1 of 2 | n/a "
        "| `load.ttft_p50_ratio` (1) | 35 s |"
    )


def test_render_says_how_many_runs_were_made() -> None:
    doc = {
        "created_utc": "2026-01-01T00:00:00Z",
        "command": "pytest x",
        "runs_unchanged": 4,
        "runs_per_regression": 2,
        "baseline": {"runs": 3, "exit_code": 0, "wall_s": 100.0},
        "services": {},
    }
    assert render(doc).startswith(
        "Measured 2026-01-01T00:00:00Z (`pytest x`, 4 runs of the base, 2 per regression; "
        "baseline 3 runs, exit 0, 100.0 s)."
    )
