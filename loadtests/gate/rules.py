"""The regression gate's rules: pure functions from (baseline, now) to checks.

Every check is judged against the **stricter** of two bounds (see docs/gate.md):

- its absolute invariant, where it has one (``<= 1`` token after a user left, no
  serialized first tokens, every proxy path streams, 0 mismatched streams, a fault reaches
  the client as a status, an error event or a recovered stream, ...);
- the baseline's own value plus a noise allowance, ``max(floor, rel x scale, k x spread)``:
  ``floor`` is the least the check may move on this machine without meaning anything,
  ``rel`` a share of the baseline value (of its overhead ``b - 1`` for a ratio to direct),
  ``spread`` the range of the baseline's own runs (:mod:`.baseline`).

A baseline that already failed an invariant (recorded with ``--accept-failing``) is gated on
"no worse than the baseline" alone, and the check says so. A check is ``pass``, ``fail``,
``borderline`` (within the noise band just above its limit: the command measures again) or
``skip`` (not in the baseline: reported, never failing).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .baseline import Stat
from .readings import FAULT_KINDS, Value, details, readings

Verdict = Literal["pass", "fail", "borderline", "skip"]

# Which bound decided a check (the ``bound`` column).
INVARIANT = "invariant"
BASELINE = "baseline + noise"
BASELINE_MAX = "baseline's max"
ACCEPTED = "baseline (accepted failing)"
NOT_IN_BASELINE = "not in baseline"
NOT_MEASURED = "not measured now"

FAULT_OK = frozenset({"status", "error_event", "recovered"})


@dataclass(frozen=True)
class Tolerances:
    """Invariants, noise floors and the spread factor; docs/gate.md says why each."""

    # invariants
    tokens_after_leaving: int = 1
    upstream_close_ms: float = 100.0
    healthz_p99_ms: float = 100.0
    serial_spread_ms: float = 1000.0  # first tokens of 5 streams one after another
    fault_bound_s: float = 8.0
    # the noise allowance: max(floor, rel x scale, spread_k x spread)
    spread_k: float = 2.0
    ttft_ratio_floor: float = 0.35
    ratio_rel: float = 0.5  # share of the baseline's overhead (b - 1) for the ratios
    ttft_p99_floor_ms: float = 100.0
    ttft_p99_rel: float = 2.0
    healthz_floor_ms: float = 50.0
    ttft_spread_floor_ms: float = 250.0
    upstream_close_floor_ms: float = 100.0
    itl_single_floor: float = 0.25
    itl_concurrent_floor: float = 0.5
    load_ttft_floor: float = 0.5
    tokens_per_s_floor: float = 0.15
    cpu_us_per_token_floor: float = 200.0
    rss_growth_floor_mb: float = 20.0
    connections_growth_floor: float = 10.0
    borderline_band: float = 0.25  # within 25% beyond a limit: measure again


@dataclass(frozen=True)
class Bound:
    """A numeric check's rule."""

    unit: str
    invariant: float | None = None
    floor: float = 0.0
    rel: float = 0.0
    over_one: bool = False  # a ratio to direct: ``rel`` applies to the overhead b - 1
    higher_is_better: bool = False
    integer: bool = False  # a count: the limit is rounded down, no borderline band
    noise: bool = True  # False: the baseline value itself is the limit


@dataclass(frozen=True)
class Outcomes:
    """An outcome check's rule: the value must be one of ``ok``."""

    ok: frozenset[str]
    unit: str = ""


Rule = Bound | Outcomes


@dataclass(frozen=True)
class Check:
    name: str
    baseline: Value
    now: Value
    limit: str
    verdict: Verdict
    bound: str = ""
    unit: str = ""
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rules(tol: Tolerances) -> dict[str, Rule]:
    """The rules by check name; ``disconnect.*.``, ``per_token.*.`` and families by prefix."""
    fault: Rule = Outcomes(FAULT_OK)
    return {
        "ttft.ratio": Bound("x", floor=tol.ttft_ratio_floor, rel=tol.ratio_rel, over_one=True),
        "ttft.p99_ms": Bound("ms", floor=tol.ttft_p99_floor_ms, rel=tol.ttft_p99_rel),
        "blocking.healthz_p99_ms": Bound(
            "ms", tol.healthz_p99_ms, floor=tol.healthz_floor_ms, rel=1.0
        ),
        "blocking.ttft_spread_ms": Bound(
            "ms", tol.serial_spread_ms, floor=tol.ttft_spread_floor_ms, rel=1.0
        ),
        "disconnect.*.tokens_after_max": Bound(
            "tokens", tol.tokens_after_leaving, floor=1, integer=True
        ),
        "disconnect.*.upstream_close_ms": Bound(
            "ms", tol.upstream_close_ms, floor=tol.upstream_close_floor_ms, rel=1.0
        ),
        "buffering.*": Outcomes(frozenset({"streams"})),
        "per_token.single.*": Bound(
            "x", floor=tol.itl_single_floor, rel=tol.ratio_rel, over_one=True
        ),
        "per_token.concurrent.*": Bound(
            "x", floor=tol.itl_concurrent_floor, rel=tol.ratio_rel, over_one=True
        ),
        "load.ttft_p50_ratio": Bound(
            "x", floor=tol.load_ttft_floor, rel=tol.ratio_rel, over_one=True
        ),
        "load.tokens_per_s_ratio": Bound(
            "x", floor=tol.tokens_per_s_floor, over_one=True, higher_is_better=True
        ),
        "load.cpu_us_per_token": Bound("µs/token", floor=tol.cpu_us_per_token_floor),
        "integrity.mismatched_streams": Bound("streams", 0, integer=True),
        "termination.silent_truncations": Bound("streams", 0, integer=True),
        **{f"faults.{kind}": fault for kind in FAULT_KINDS},
        "faults.upstream_calls_per_request": Bound("calls", integer=True, noise=False),
        "leaks.rss_growth_mb": Bound("MB", floor=tol.rss_growth_floor_mb),
        "leaks.open_connections_growth": Bound(
            "connections", floor=tol.connections_growth_floor, integer=True
        ),
        "leaks.upstream_open_after_clients_left": Bound("streams", 0, integer=True),
    }


def rule_for(name: str, tol: Tolerances) -> Rule:
    """The rule of the check ``name`` (a name of :func:`loadtests.gate.readings.readings`).

    ``disconnect.burst.tokens_after_max`` -> the rule of ``disconnect.*.tokens_after_max``.
    """
    rules = _rules(tol)
    parts = name.split(".")
    for key in (name, f"{parts[0]}.*.{parts[-1]}", f"{parts[0]}.*", ".".join(parts[:2]) + ".*"):
        if key in rules:
            return rules[key]
    raise KeyError(f"no gate rule for {name!r}")


def meets(value: float, rule: Bound) -> bool:
    """``value`` is within the rule's invariant (True when it has none)."""
    if rule.invariant is None:
        return True
    return value >= rule.invariant if rule.higher_is_better else value <= rule.invariant


def allowance(baseline: float, spread: float | None, rule: Bound, tol: Tolerances) -> float:
    """``max(floor, rel x scale, k x spread)``; scale is ``|b - 1|`` for a ratio to direct."""
    if not rule.noise:
        return 0.0
    scale = abs(baseline - 1) if rule.over_one else abs(baseline)
    return max(rule.floor, rule.rel * scale, tol.spread_k * (spread or 0.0))


def limit_of(stat: Stat, rule: Bound, tol: Tolerances) -> tuple[float, str]:
    """The limit ``now`` is held to and which bound it is (``INVARIANT``, ``BASELINE``, ...)."""
    assert isinstance(stat.baseline, int | float)
    b = float(stat.baseline)
    room = allowance(b, stat.spread, rule, tol)
    own = b - room if rule.higher_is_better else b + room
    if rule.integer:
        own = math.ceil(own) if rule.higher_is_better else math.floor(own + 1e-9)
    if rule.invariant is None:
        return own, BASELINE if rule.noise else BASELINE_MAX
    if not meets(b, rule):
        return own, ACCEPTED
    stricter = max(rule.invariant, own) if rule.higher_is_better else min(rule.invariant, own)
    return stricter, INVARIANT if stricter == rule.invariant else BASELINE


def _number(value: float, unit: str) -> str:
    """``3.3794, "ms"`` -> ``3.38 ms``; ``1.0852, "x"`` -> ``1.09x``; counts as integers."""
    if unit in ("calls", "tokens", "streams", "connections"):
        return f"{value:g} {unit}"
    digits = 0 if value == 0 else max(0, min(2, 2 - math.floor(math.log10(abs(value)))))
    text = f"{value:.{digits}f}"
    return f"{text}x" if unit == "x" else f"{text} {unit}".rstrip()


def fmt(value: Value, unit: str) -> str:
    """A value for a person: rounded, with its unit; ``-`` for None."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return _number(float(value), unit)


def judge_number(name: str, stat: Stat | None, now: Value, rule: Bound, tol: Tolerances) -> Check:
    """One numeric check: pass within the limit, borderline within the band, else fail."""
    if stat is None or not isinstance(stat.baseline, int | float):
        return Check(name, None, now, "-", "skip", NOT_IN_BASELINE, rule.unit)
    if not isinstance(now, int | float):
        return Check(name, stat.baseline, now, "-", "fail", NOT_MEASURED, rule.unit)
    limit, bound = limit_of(stat, rule, tol)
    op = ">=" if rule.higher_is_better else "<="
    band = 0.0 if rule.integer else tol.borderline_band
    if rule.higher_is_better:
        verdict: Verdict = (
            "pass" if now >= limit else "borderline" if now >= limit * (1 - band) else "fail"
        )
    else:
        verdict = "pass" if now <= limit else "borderline" if now <= limit * (1 + band) else "fail"
    now_kept = now if isinstance(now, int) else round(now, 4)
    return Check(
        name, stat.baseline, now_kept, f"{op} {fmt(limit, rule.unit)}", verdict, bound, rule.unit
    )


def _one_of(values: frozenset[str]) -> str:
    return "in {" + ", ".join(sorted(values)) + "}"


def judge_outcome(name: str, stat: Stat | None, now: Value, rule: Outcomes) -> Check:
    """One outcome check: one of ``rule.ok``, or (accepted failing) one the baseline saw."""
    if stat is None or stat.baseline is None:
        return Check(name, None, now, "-", "skip", NOT_IN_BASELINE)
    if now is None:
        return Check(name, stat.baseline, now, "-", "fail", NOT_MEASURED)
    allowed, bound = rule.ok, INVARIANT
    if stat.baseline not in rule.ok:
        allowed = rule.ok | {v for v in stat.values if isinstance(v, str)}
        bound = ACCEPTED
    verdict: Verdict = "pass" if now in allowed else "fail"
    return Check(
        name, stat.baseline, now, "in {" + ", ".join(sorted(allowed)) + "}", verdict, bound
    )


def judge(name: str, stat: Stat | None, now: Value, tol: Tolerances) -> Check:
    rule = rule_for(name, tol)
    if isinstance(rule, Outcomes):
        return judge_outcome(name, stat, now, rule)
    return judge_number(name, stat, now, rule, tol)


def compare(
    base: Mapping[str, Stat], now: Mapping[str, Any], tol: Tolerances | None = None
) -> list[Check]:
    """Every check of the baseline and of the measurement ``now`` (``measure()``'s numbers).

    A check in the baseline that ``now`` lacks fails "not measured now"; one that only
    ``now`` has is reported "not in baseline" and does not fail.
    """
    tol = tol or Tolerances()
    values = readings(now, fault_bound_s=tol.fault_bound_s)
    evidence = details(now)
    names = dict.fromkeys(base) | dict.fromkeys(values)
    return [
        dataclasses.replace(check, why=evidence.get(name, ""))
        for name in names
        for check in [judge(name, base.get(name), values.get(name), tol)]
    ]


def baseline_failures(base: Mapping[str, Stat], tol: Tolerances | None = None) -> list[Check]:
    """The checks whose baseline value fails its invariant (``baseline`` exits 1 on them)."""
    tol = tol or Tolerances()
    failing = []
    for name, stat in base.items():
        rule = rule_for(name, tol)
        b = stat.baseline
        if isinstance(rule, Outcomes):
            ok = b is None or b in rule.ok
            limit = _one_of(rule.ok)
        else:
            ok = not isinstance(b, int | float) or meets(float(b), rule)
            limit = f"<= {fmt(rule.invariant, rule.unit)}"
        if not ok:
            failing.append(Check(name, b, b, limit, "fail", INVARIANT, rule.unit))
    return failing


def overall(checks: list[Check]) -> Verdict:
    if any(c.verdict == "fail" for c in checks):
        return "fail"
    if any(c.verdict == "borderline" for c in checks):
        return "borderline"
    return "pass"


def best_of(attempts: list[list[Check]]) -> list[Check]:
    """Per check, the best verdict over attempts: noise fails once, a regression every time."""
    rank = {"pass": 0, "skip": 0, "borderline": 1, "fail": 2}
    best: dict[str, Check] = {}
    for checks in attempts:
        for check in checks:
            kept = best.get(check.name)
            if kept is None or rank[check.verdict] < rank[kept.verdict]:
                best[check.name] = check
    # A check still borderline after every repeat is a regression.
    return [
        c
        if c.verdict != "borderline"
        else Check(
            c.name, c.baseline, c.now, c.limit, "fail", c.bound, c.unit, "borderline every time"
        )
        for c in best.values()
    ]


def failed_twice(previous: list[Check], last: list[Check]) -> bool:
    before = {c.name for c in previous if c.verdict == "fail"}
    return any(c.verdict == "fail" and c.name in before for c in last)
