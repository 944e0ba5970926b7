"""The gate is trustworthy on a team's own service: the corpus base passes, each regression fails.

Opt-in (``-m slow``, ``make gate-suite``): one to two hours on 2 cores. Every run is a real
``streamgauge gate --app`` process: it starts its own mock_llm, the corpus app under
uvicorn, and the private nginx of the buffering checks, and stops them.

- one baseline of the base service (``tests/gate/corpus/service.py``, ``--runs 3``);
- the unchanged base passes ``2 x GATE_SUITE_RUNS`` gate runs of as many (default 10 of
  10): exit 0, verdict ``pass``;
- each regression (``tests/gate/corpus/regressions/``) fails ``GATE_SUITE_RUNS`` of as many
  (default 5 of 5), each *through the check made for it*: exit 1 and, in the ``--json``
  output, a check whose name starts with the regression's prefix
  (:data:`tests.gate.corpus.regressions.CAUGHT_BY`) has verdict ``fail``.

Knobs (environment): ``GATE_SUITE_RUNS`` (default 5) for a quicker pass, e.g.
``GATE_SUITE_RUNS=1 make gate-suite``; ``GATE_SUITE_ONLY=lost_tokens,no_terminator``
to run some regressions only. Evidence: ``results/bench/gate_corpus.json`` (per service:
exit codes, verdicts, the failing check names of each run, wall time per gate run),
rewritten after each test so an interrupted suite keeps what it measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from loadtests.systems.nginx import find_nginx
from tests.gate.corpus.regressions import CAUGHT_BY

REPO = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("GATE_SUITE_RUNS", "5"))
UNCHANGED_RUNS = 2 * RUNS
BASELINE_RUNS = 3
ONLY = [name for name in os.environ.get("GATE_SUITE_ONLY", "").split(",") if name]
REGRESSIONS = [name for name in CAUGHT_BY if not ONLY or name in ONLY]
BASE_APP = "tests.gate.corpus.service:app"
#: One gate process: up to three measurements (~40 s each) plus starting and stopping.
GATE_TIMEOUT_S = 600
BASELINE_TIMEOUT_S = 900
SUMMARY = REPO / "results" / "bench" / "gate_corpus.json"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(BASELINE_TIMEOUT_S + UNCHANGED_RUNS * GATE_TIMEOUT_S + 60),
]


@dataclass
class GateRun:
    """One ``streamgauge gate`` process and what its ``--json`` said."""

    exit_code: int | None  # None: killed at GATE_TIMEOUT_S
    verdict: str | None
    failing: list[str]
    wall_s: float
    tail: str = field(repr=False)


@dataclass
class Tally:
    """Every run of one service, for the assertion message and the summary file."""

    service: str
    expected: str  # "pass", or the prefix of the check that must fail
    runs: list[GateRun] = field(default_factory=list)

    def caught(self) -> int:
        """Runs that exited 1 with a failing check named by ``expected``."""
        return sum(
            r.exit_code == 1 and any(name.startswith(self.expected) for name in r.failing)
            for r in self.runs
        )

    def passed(self) -> int:
        return sum(r.exit_code == 0 and r.verdict == "pass" for r in self.runs)

    def message(self) -> str:
        counts = (
            f"{self.service}: {self.passed()}/{len(self.runs)} passed, "
            f"{self.caught()}/{len(self.runs)} failed through {self.expected!r}; "
            f"exit codes {[r.exit_code for r in self.runs]}; "
            f"failing checks per run {[r.failing for r in self.runs]}"
        )
        odd = [r for r in self.runs if r.exit_code not in (0, 1)]
        return counts + "".join(f"\n--- exit {r.exit_code}:\n{r.tail}" for r in odd)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "runs": len(self.runs),
            "passed": self.passed(),
            "caught_by_its_check": self.caught(),
            "gates": [{k: v for k, v in asdict(r).items() if k != "tail"} for r in self.runs],
        }


def _cli(argv: list[str], timeout_s: float) -> tuple[int | None, str, float]:
    """``python -m loadtests.cli ARGV`` from the repo root: (exit code, output tail, wall s)."""
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "loadtests.cli", *argv],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        tail = out.decode(errors="replace") if isinstance(out, bytes) else out
        return None, f"timed out after {timeout_s} s\n{tail[-3000:]}", time.monotonic() - started
    return proc.returncode, (proc.stdout + proc.stderr)[-3000:], time.monotonic() - started


def _gate(app: str, baseline: Path, out: Path) -> GateRun:
    out.unlink(missing_ok=True)
    code, tail, wall_s = _cli(
        ["gate", "--app", app, "--baseline", str(baseline), "--json", str(out)], GATE_TIMEOUT_S
    )
    doc: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    failing = [c["name"] for c in doc.get("checks", []) if c.get("verdict") == "fail"]
    return GateRun(code, doc.get("verdict"), failing, round(wall_s, 1), tail)


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    """The evidence file's content, written after every test that adds to it."""
    return {
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "pytest tests/gate/test_corpus.py -m slow",
        "runs_per_regression": RUNS,
        "runs_unchanged": UNCHANGED_RUNS,
        "services": {},
    }


def _record(summary: dict[str, Any], tally: Tally) -> None:
    summary["services"][tally.service] = tally.as_dict()
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(summary, indent=2) + "\n")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, summary: dict[str, Any]) -> Path:
    """``streamgauge baseline`` of the unchanged base service, ``--runs 3``."""
    if find_nginx() is None:
        pytest.fail("the gate suite needs nginx (apt-get install nginx)")
    path = tmp_path_factory.mktemp("corpus-baseline") / "baseline.json"
    code, tail, wall_s = _cli(
        ["baseline", "--app", BASE_APP, "--out", str(path), "--runs", str(BASELINE_RUNS)],
        BASELINE_TIMEOUT_S,
    )
    summary["baseline"] = {"runs": BASELINE_RUNS, "exit_code": code, "wall_s": round(wall_s, 1)}
    assert code == 0, f"baseline of the corpus base exited {code}:\n{tail}"
    return path


def test_unchanged_base_passes_every_run(
    baseline: Path, tmp_path: Path, summary: dict[str, Any]
) -> None:
    """The base, gated against its own baseline, passes every run (default 10 of 10)."""
    tally = Tally("service", "pass")
    for i in range(UNCHANGED_RUNS):
        tally.runs.append(_gate(BASE_APP, baseline, tmp_path / f"gate{i}.json"))
    _record(summary, tally)
    assert tally.passed() == UNCHANGED_RUNS, tally.message()


@pytest.mark.parametrize("name", REGRESSIONS)
def test_regression_fails_every_run_through_its_check(
    name: str, baseline: Path, tmp_path: Path, summary: dict[str, Any]
) -> None:
    """Each seeded regression fails every run (default 5 of 5) through the check made for it."""
    tally = Tally(name, CAUGHT_BY[name])
    app = f"tests.gate.corpus.regressions.{name}:app"
    for i in range(RUNS):
        tally.runs.append(_gate(app, baseline, tmp_path / f"gate{i}.json"))
    _record(summary, tally)
    assert tally.caught() == RUNS, tally.message()
