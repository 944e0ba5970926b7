"""The corpus table of results/README.md, rendered from ``results/bench/gate_corpus.json``.

Run: ``python -m tests.gate.corpus_table [PATH]``; prints Markdown. The README's numbers
are this output pasted, so they are the evidence file's and nothing else.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "results" / "bench" / "gate_corpus.json"
HEADER = (
    "| service under test | must fail through | runs | passed | caught by its check "
    "| other checks that failed (runs) | wall time per run |\n"
    "|---|---|---|---|---|---|---|"
)


def _others(expected: str, gates: list[dict[str, Any]]) -> str:
    """Failing checks not named by ``expected`` (for the base, ``"pass"``: every one)."""
    counts = Counter(
        name
        for gate in gates
        for name in gate["failing"]
        if expected == "pass" or not name.startswith(expected)
    )
    return ", ".join(f"`{name}` ({n})" for name, n in sorted(counts.items())) or "none"


def _wall(gates: list[dict[str, Any]]) -> str:
    walls = [g["wall_s"] for g in gates]
    if not walls:
        return "n/a"
    low, high = min(walls), max(walls)
    return f"{low:.0f} s" if round(low) == round(high) else f"{low:.0f}-{high:.0f} s"


def row(service: str, entry: dict[str, Any]) -> str:
    """One table row: counts out of the runs made, the other failing checks, wall times."""
    expected = entry["expected"]
    runs = entry["runs"]
    label = f"unchanged base (`{service}`)" if expected == "pass" else f"`{service}`"
    must = "pass" if expected == "pass" else f"`{expected}`"
    caught = "n/a" if expected == "pass" else f"{entry['caught_by_its_check']} of {runs}"
    others = _others(expected, entry["gates"])
    return (
        f"| {label} | {must} | {runs} | {entry['passed']} of {runs} | {caught} "
        f"| {others} | {_wall(entry['gates'])} |"
    )


def render(doc: dict[str, Any]) -> str:
    """The whole table plus the line that says when and how it was measured."""
    baseline = doc.get("baseline", {})
    lines = [
        f"Measured {doc['created_utc']} (`{doc['command']}`, {doc['runs_unchanged']} runs of "
        f"the base, {doc['runs_per_regression']} per regression; baseline "
        f"{baseline.get('runs', '?')} runs, exit {baseline.get('exit_code', '?')}, "
        f"{baseline.get('wall_s', '?')} s).",
        "",
        HEADER,
    ]
    lines += [row(name, entry) for name, entry in doc["services"].items()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_PATH
    if not path.exists():
        print(f"no evidence file at {path}: run `make gate-suite` first", file=sys.stderr)
        return 2
    print(render(json.loads(path.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
