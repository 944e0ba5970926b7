"""The gate's output: a plain aligned table, one line per failing check, Markdown, JSON.

Plain text, not a rich table: a CI log is 80 columns and a rich table would cut check
names (``disconnect.close_afte…``) to fit; a long line wraps and stays readable.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .baseline import GATE_SCHEMA_VERSION, Stat
from .explain import line
from .rules import Check, Tolerances, fmt, overall, rule_for

COLUMNS = ("check", "baseline", "now", "limit", "bound", "verdict")
ICON = {"pass": "✅", "fail": "❌", "borderline": "⚠️", "skip": "⏭️"}


def row(check: Check) -> tuple[str, ...]:
    return (
        check.name,
        fmt(check.baseline, check.unit),
        fmt(check.now, check.unit),
        check.limit,
        check.bound,
        check.verdict,
    )


def _aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]


def table(checks: Sequence[Check]) -> list[str]:
    """The checks as aligned text lines, a header first."""
    return _aligned([COLUMNS, *(row(c) for c in checks)])


def baseline_table(checks: Mapping[str, Stat], failing: Collection[str]) -> list[str]:
    """What ``baseline`` recorded per check: every run, the baseline value, the spread."""
    rows = [("check", "runs", "baseline", "spread", "invariant")]
    for name, stat in checks.items():
        unit = rule_for(name, Tolerances()).unit
        summary = "" if stat.spread is None else f" ({stat.summary})"
        rows.append(
            (
                name,
                ", ".join(fmt(v, unit) for v in stat.values),
                fmt(stat.baseline, unit) + summary,
                "-" if stat.spread is None else fmt(stat.spread, unit),
                "FAILS" if name in failing else "",
            )
        )
    return _aligned(rows)


def failures(checks: Sequence[Check]) -> list[str]:
    """For each failing check, what it means and where to look."""
    return [line(c) for c in checks if c.verdict == "fail"]


def accepted_note(accepted: Sequence[str]) -> str:
    return (
        "the baseline was recorded with --accept-failing: "
        + ", ".join(accepted)
        + " failed an invariant then and are held to no worse than the baseline"
    )


def markdown(
    checks: Sequence[Check], title: str = "streamgauge gate", accepted: Sequence[str] = ()
) -> str:
    lines = [
        f"### {title}: {overall(list(checks)).upper()}",
        "",
        "| check | baseline | now | limit | bound | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for c in checks:
        name, base, now, limit, bound, verdict = row(c)
        lines.append(
            f"| `{name}` | {base} | {now} | {limit} | {bound} | {ICON[c.verdict]} {verdict} |"
        )
    if fails := failures(checks):
        lines += ["", *(f"- {f}" for f in fails)]
    if accepted:
        lines += ["", f"_{accepted_note(accepted)}_"]
    return "\n".join(lines) + "\n"


def json_doc(
    checks: Sequence[Check],
    *,
    attempts: int,
    baseline: str,
    accepted: Sequence[str],
    harness: Sequence[Any],
    service_failures: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "gate_schema_version": GATE_SCHEMA_VERSION,
        "verdict": overall(list(checks)),
        "attempts": attempts,
        "baseline": baseline,
        "baseline_accepted_failing": list(accepted),
        "harness": list(harness),
        "service_failures": list(service_failures),
        "checks": [c.as_dict() for c in checks],
    }
