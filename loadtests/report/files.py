"""Run outputs: ``summary.json`` (versioned), ``requests.jsonl``, ``report.md``."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..metrics import METRICS_CONTRACT_VERSION
from ..scenarios.result import SCHEMA_VERSION, ScenarioResult

SCENARIO_KEYS: tuple[str, ...] = ("ttft", "blocking", "disconnect", "buffering")


def new_run_dir(root: Path) -> Path:
    """``results/runs/<UTC timestamp>/``, unique even for two runs in one second."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = root / stamp
    n = 1
    while path.exists():
        n += 1
        path = root / f"{stamp}-{n}"
    path.mkdir(parents=True)
    return path


def summary(
    results: Mapping[str, ScenarioResult], *, command: str, environment: Mapping[str, Any]
) -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    for key in SCENARIO_KEYS:
        if key in results:
            scenarios[key] = results[key].to_dict()
    return {
        "schema_version": SCHEMA_VERSION,
        "metrics_contract_version": METRICS_CONTRACT_VERSION,
        "command": command,
        "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": {"python": platform.python_version(), **environment},
        "passed": all(r.passed for r in results.values() if r.skipped is None),
        "valid": all(r.valid for r in results.values() if r.skipped is None),
        "scenarios": scenarios,
    }


def write_outputs(
    run_dir: Path,
    results: Mapping[str, ScenarioResult],
    summary_obj: Mapping[str, Any],
    report_md: str,
) -> None:
    (run_dir / "summary.json").write_text(json.dumps(summary_obj, indent=2, default=str) + "\n")
    with (run_dir / "requests.jsonl").open("w", encoding="utf-8") as out:
        for result in results.values():
            for record in result.records:
                out.write(record.to_json(read_timings=True) + "\n")
    (run_dir / "report.md").write_text(report_md)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return "\n".join(lines)


def report_markdown(
    results: Mapping[str, ScenarioResult], headline: Sequence[str], command: str
) -> str:
    parts = ["# streamgauge run", "", f"Command: `{command}`", "", "## Headline", ""]
    parts.extend(f"- {line}" for line in headline)
    for key in SCENARIO_KEYS:
        result = results.get(key)
        if result is None:
            continue
        parts += ["", f"## {key}", ""]
        if result.skipped:
            parts.append(f"Skipped: {result.skipped}")
            continue
        rows = [
            (
                subject,
                verdict,
                result.expected.get(subject, "-"),
                "yes" if result.expected.get(subject, verdict) == verdict else "**NO**",
            )
            for subject, verdict in result.verdicts.items()
        ]
        parts.append(markdown_table(["subject", "verdict", "expected", "as expected"], rows))
        parts += ["", "Evidence:", ""]
        parts.extend(f"- {line}" for line in result.evidence)
        if not result.valid:
            parts += ["", "**Invalid measurement:** " + "; ".join(result.invalid_reasons)]
    return "\n".join(parts) + "\n"
