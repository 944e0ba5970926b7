"""The regression gate's rules: pure functions from (baseline, now) numbers to checks.

Rules chosen to survive a noisy 2-core machine:
- ratios measured in the same run (service TTFT over direct-to-mock), not
  absolute latencies that move with machine load;
- invariants that do not depend on speed: <= 1 token generated upstream after
  a user left, no serialized TTFTs, no buffered proxy path;
- percentiles only with generous tolerances.
A check is ``pass``, ``fail`` or ``borderline`` (within the noise band just
above the limit: the command repeats the measurement before failing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

Verdict = Literal["pass", "fail", "borderline"]

GATE_SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class Tolerances:
    ttft_ratio_abs: float = 0.35  # allowed rise of service/direct TTFT p50
    ttft_ratio_rel: float = 0.5  # ... or this share of the baseline's overhead, if larger
    ttft_p99_factor: float = 3.0  # p99 may grow this much (noisy) ...
    ttft_p99_abs_ms: float = 50.0  # ... plus this
    healthz_p99_ms: float = 100.0  # invariant: a non-blocking loop answers fast
    serial_spread_ms: float = 1000.0  # invariant: first tokens not one after another
    tokens_after_leaving: int = 1  # invariant
    upstream_close_ms: float = 100.0  # invariant
    borderline_band: float = 0.25  # within 25% above a limit: measure again


@dataclass(frozen=True)
class Check:
    name: str
    baseline: float | str | None
    now: float | str | None
    limit: str
    verdict: Verdict
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _upper(
    name: str, baseline: float | None, now: float | None, *, limit: float, band: float, label: str
) -> Check:
    """``now <= limit`` passes; up to ``limit * (1 + band)`` is borderline."""
    if now is None:
        return Check(name, baseline, now, label, "fail", "no measurement")
    if now <= limit:
        verdict: Verdict = "pass"
    elif now <= limit * (1 + band):
        verdict = "borderline"
    else:
        verdict = "fail"
    return Check(name, baseline, round(now, 3), label, verdict)


def ttft_checks(base: Mapping[str, Any], now: Mapping[str, Any], tol: Tolerances) -> list[Check]:
    """``base``/``now``: ``{"ratio": p50 service / p50 direct, "p99_ms": service p99}``."""
    b_ratio, n_ratio = base.get("ratio"), now.get("ratio")
    checks = []
    if b_ratio is None:
        checks.append(Check("ttft.ratio", None, n_ratio, "-", "fail", "baseline has no ratio"))
    else:
        limit = b_ratio + max(tol.ttft_ratio_abs, tol.ttft_ratio_rel * (b_ratio - 1))
        checks.append(
            _upper(
                "ttft.ratio",
                round(b_ratio, 3),
                n_ratio,
                limit=limit,
                band=tol.borderline_band,
                label=f"<= {limit:.2f}",
            )
        )
    b_p99, n_p99 = base.get("p99_ms"), now.get("p99_ms")
    if b_p99 is not None:
        limit = b_p99 * tol.ttft_p99_factor + tol.ttft_p99_abs_ms
        checks.append(
            _upper(
                "ttft.p99_ms",
                round(b_p99, 1),
                n_p99,
                limit=limit,
                band=tol.borderline_band,
                label=f"<= {limit:.0f} ms",
            )
        )
    return checks


def blocking_checks(
    now: Mapping[str, Any], base: Mapping[str, Any], tol: Tolerances
) -> list[Check]:
    """Invariants: /healthz p99 under a bound, TTFTs not serialized."""
    return [
        _upper(
            "blocking.healthz_p99_ms",
            base.get("healthz_p99_ms"),
            now.get("healthz_p99_ms"),
            limit=tol.healthz_p99_ms,
            band=tol.borderline_band,
            label=f"<= {tol.healthz_p99_ms:g} ms",
        ),
        _upper(
            "blocking.ttft_spread_ms",
            base.get("ttft_spread_ms"),
            now.get("ttft_spread_ms"),
            limit=tol.serial_spread_ms,
            band=tol.borderline_band,
            label=f"<= {tol.serial_spread_ms:g} ms",
        ),
    ]


def disconnect_checks(
    now: Mapping[str, Mapping[str, Any]], base: Mapping[str, Mapping[str, Any]], tol: Tolerances
) -> list[Check]:
    """Per mode: max tokens after leaving and max upstream close time (invariants)."""
    checks = []
    for mode, n in now.items():
        b = base.get(mode, {})
        after = n.get("tokens_after_max")
        checks.append(
            Check(
                f"disconnect.{mode}.tokens_after_max",
                b.get("tokens_after_max"),
                after,
                f"<= {tol.tokens_after_leaving}",
                "pass" if after is not None and after <= tol.tokens_after_leaving else "fail",
            )
        )
        checks.append(
            _upper(
                f"disconnect.{mode}.upstream_close_ms",
                b.get("upstream_close_ms"),
                n.get("upstream_close_ms"),
                limit=tol.upstream_close_ms,
                band=tol.borderline_band,
                label=f"<= {tol.upstream_close_ms:g} ms",
            )
        )
    return checks


def buffering_checks(now: Mapping[str, str], base: Mapping[str, str]) -> list[Check]:
    """Invariant: every proxy path streams."""
    return [
        Check(
            f"buffering.{path}",
            base.get(path),
            verdict,
            "streams",
            "pass" if verdict == "streams" else "fail",
        )
        for path, verdict in now.items()
    ]


def overall(checks: list[Check]) -> Verdict:
    if any(c.verdict == "fail" for c in checks):
        return "fail"
    if any(c.verdict == "borderline" for c in checks):
        return "borderline"
    return "pass"


def markdown(checks: list[Check], title: str = "streamgauge gate") -> str:
    icon = {"pass": "✅", "fail": "❌", "borderline": "⚠️"}
    lines = [
        f"### {title}: {overall(checks).upper()}",
        "",
        "| check | baseline | now | limit | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.name} | {c.baseline} | {c.now} | {c.limit} | {icon[c.verdict]} {c.verdict} |"
        for c in checks
    ]
    return "\n".join(lines) + "\n"


def compare(base: dict[str, Any], now: dict[str, Any], tol: Tolerances) -> list[Check]:
    checks = ttft_checks(base["ttft"], now["ttft"], tol)
    checks += blocking_checks(now["blocking"], base["blocking"], tol)
    checks += disconnect_checks(now["disconnect"], base["disconnect"], tol)
    if "buffering" in base:
        checks += buffering_checks(now.get("buffering", {}), base["buffering"])
    return checks


def best_of(attempts: list[list[Check]]) -> list[Check]:
    """Per check, the best verdict over attempts: noise fails once, a regression every time."""
    rank = {"pass": 0, "borderline": 1, "fail": 2}
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
        else Check(c.name, c.baseline, c.now, c.limit, "fail", "borderline in every attempt")
        for c in best.values()
    ]


def failed_twice(previous: list[Check], last: list[Check]) -> bool:
    before = {c.name for c in previous if c.verdict == "fail"}
    return any(c.verdict == "fail" and c.name in before for c in last)
