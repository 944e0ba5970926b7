"""A gate baseline: k >= 3 measurements of one service and, per check, its value and noise.

Per check the baseline keeps every run's value, the *baseline value* and the *spread*:

- numbers: the baseline value is the **median** of the runs (the service's typical value;
  the worst would count the noise twice, once in the value and again in the spread), and
  the spread is the range ``max - min`` (with three runs the only spread estimate that
  needs no distribution; a range of 3 samples is about 1.7 standard deviations);
- a count judged against what the baseline *saw* (upstream calls per request: 1 + the
  retries the service makes) keeps the **max**, with no spread: a retry the service makes
  once in three runs is the service's behaviour, not noise;
- outcomes (``streams``, ``error_event``, ...): the most common value of the runs, and
  every value seen.

Pure functions; :mod:`loadtests.commands.gate` reads and writes the file.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .readings import Value, readings

GATE_SCHEMA_VERSION = "2"
MIN_RUNS = 3

Summary = Literal["median", "max"]

# Checks whose baseline value is the worst run, not the median (see the module docstring).
MAX_SUMMARY = frozenset({"faults.upstream_calls_per_request"})


class BaselineError(Exception):
    """The baseline file cannot be used (unreadable, or another schema): exit 2."""


@dataclass(frozen=True)
class Stat:
    """One check over the baseline's runs."""

    values: tuple[Value, ...]
    baseline: Value
    spread: float | None = None
    summary: Summary = "median"

    def as_dict(self) -> dict[str, Any]:
        return {
            "values": list(self.values),
            "baseline": self.baseline,
            "spread": self.spread,
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Stat:
        summary: Summary = "max" if d.get("summary") == "max" else "median"
        return cls(tuple(d.get("values", ())), d.get("baseline"), d.get("spread"), summary)


def _round(value: float) -> float:
    return round(value, 4)


def summarize(values: Sequence[Value], summary: Summary = "median") -> Stat:
    """``[0.9, 1.3, 1.0]`` -> baseline 1.0 (median), spread 0.4 (range).

    ``None`` runs (not measured) are left out; no measured run -> baseline ``None``.
    Strings (outcomes) -> the most common, first seen on a tie; no spread.
    """
    measured = [v for v in values if v is not None]
    if not measured:
        return Stat(tuple(values), None, None, summary)
    if all(isinstance(v, str) for v in measured):
        most_common = Counter(measured).most_common(1)[0][0]
        return Stat(tuple(values), most_common, None, summary)
    nums = [float(v) for v in measured if not isinstance(v, str)]
    if summary == "max":
        return Stat(tuple(values), _round(max(nums)), 0.0, summary)
    return Stat(
        tuple(values), _round(statistics.median(nums)), _round(max(nums) - min(nums)), summary
    )


def stats(runs: Sequence[Mapping[str, Any]]) -> dict[str, Stat]:
    """Per check (in first-seen order), its values over ``runs`` (None where a run lacks it)."""
    per_run = [readings(run) for run in runs]
    names: dict[str, None] = {}
    for r in per_run:
        names.update(dict.fromkeys(r))
    return {
        name: summarize([r.get(name) for r in per_run], "max" if name in MAX_SUMMARY else "median")
        for name in names
    }


def document(
    runs: Sequence[Mapping[str, Any]],
    *,
    accepted_failing: Sequence[str],
    about: Mapping[str, Any],
) -> dict[str, Any]:
    """The baseline file: ``about`` (target, shapes, command, environment), checks, runs."""
    return {
        "gate_schema_version": GATE_SCHEMA_VERSION,
        **about,
        "accepted_failing": list(accepted_failing),
        "checks": {name: s.as_dict() for name, s in stats(runs).items()},
        "runs": list(runs),
    }


@dataclass(frozen=True)
class Baseline:
    """What the gate needs from a baseline file."""

    checks: dict[str, Stat]
    accepted_failing: tuple[str, ...]
    target: str
    proxy: bool

    def without_proxy(self) -> Baseline:
        """The baseline without its ``buffering.*`` checks (the gate runs with ``--no-proxy``)."""
        return Baseline(
            {n: s for n, s in self.checks.items() if not n.startswith("buffering.")},
            tuple(n for n in self.accepted_failing if not n.startswith("buffering.")),
            self.target,
            proxy=False,
        )


def load(doc: Mapping[str, Any], where: str) -> Baseline:
    """A parsed baseline file; :class:`BaselineError` for anything but schema 2."""
    version = doc.get("gate_schema_version")
    if version != GATE_SCHEMA_VERSION:
        raise BaselineError(
            f"{where} is a gate baseline of schema {version!r}; this gate reads schema "
            f"{GATE_SCHEMA_VERSION!r} (k runs and their noise per check): record it again "
            "with `streamgauge baseline --out ...`"
        )
    try:
        checks = {name: Stat.from_dict(d) for name, d in doc["checks"].items()}
    except (KeyError, AttributeError, TypeError) as exc:
        raise BaselineError(f"{where} has no usable 'checks': {exc!r}") from exc
    return Baseline(
        checks=checks,
        accepted_failing=tuple(doc.get("accepted_failing", ())),
        target=str(doc.get("target", "?")),
        proxy=any(name.startswith("buffering.") for name in checks),
    )
