"""What each gate check reads from one measurement: ``numbers`` -> ``{check name: value}``.

The one map between the measurement's keys (the gate v2 contract, ``measure()``) and the
check names the rules, the baseline and the regression corpus use. A section that is
absent from ``numbers`` yields no names at all (*not measured*: a baseline without it
says "not in baseline", a gate run without it fails "not measured now"); a key that is
present with ``None`` yields the name with ``None``. ``numbers["invalid"]`` and
``numbers["harness"]`` are the harness's own control, never a check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

Value = float | int | str | None

FAULT_KINDS = (
    "rate_limited_429",
    "status_500",
    "error_mid_stream",
    "dropped_connection",
    "stall_past_timeout",
)
PER_TOKEN_STREAMS = ("single", "concurrent")
PER_TOKEN_RATIOS = ("itl_p50_ratio", "itl_p95_ratio")
LOAD_KEYS = ("ttft_p50_ratio", "tokens_per_s_ratio", "cpu_us_per_token")
LEAK_KEYS = ("rss_growth_mb", "open_connections_growth", "upstream_open_after_clients_left")


def _section(numbers: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    section = numbers.get(key)
    return section if isinstance(section, Mapping) else None


def _fault_outcome(fault: Mapping[str, Any] | None, bound_s: float) -> Value:
    """The outcome, ``hang`` when it arrived later than ``bound_s`` (whatever it was)."""
    if not fault:
        return None
    outcome = fault.get("outcome")
    seconds = fault.get("seconds")
    if outcome is not None and seconds is not None and seconds > bound_s:
        return "hang"
    return outcome if isinstance(outcome, str) else None


def _ttft(s: Mapping[str, Any]) -> dict[str, Value]:
    return {"ttft.ratio": s.get("ratio"), "ttft.p99_ms": s.get("p99_ms")}


def _blocking(s: Mapping[str, Any]) -> dict[str, Value]:
    return {
        "blocking.healthz_p99_ms": s.get("healthz_p99_ms"),
        "blocking.ttft_spread_ms": s.get("ttft_spread_ms"),
    }


def _disconnect(s: Mapping[str, Any]) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for mode, d in s.items():
        out[f"disconnect.{mode}.tokens_after_max"] = d.get("tokens_after_max")
        out[f"disconnect.{mode}.upstream_close_ms"] = d.get("upstream_close_ms")
    return out


def _buffering(s: Mapping[str, Any]) -> dict[str, Value]:
    return {f"buffering.{path}": verdict for path, verdict in s.items()}


def _per_token(s: Mapping[str, Any]) -> dict[str, Value]:
    return {
        f"per_token.{streams}.{key}": (s.get(streams) or {}).get(key)
        for streams in PER_TOKEN_STREAMS
        for key in PER_TOKEN_RATIOS
    }


def _load(s: Mapping[str, Any]) -> dict[str, Value]:
    return {f"load.{key}": s.get(key) for key in LOAD_KEYS}


def _integrity(s: Mapping[str, Any]) -> dict[str, Value]:
    return {"integrity.mismatched_streams": s.get("mismatched_streams")}


def _termination(s: Mapping[str, Any]) -> dict[str, Value]:
    return {"termination.silent_truncations": s.get("silent_truncations")}


def _leaks(s: Mapping[str, Any]) -> dict[str, Value]:
    return {f"leaks.{key}": s.get(key) for key in LEAK_KEYS}


def _faults(s: Mapping[str, Any], bound_s: float) -> dict[str, Value]:
    out = {f"faults.{kind}": _fault_outcome(s.get(kind), bound_s) for kind in FAULT_KINDS}
    out["faults.upstream_calls_per_request"] = s.get("upstream_calls_per_request_max")
    return out


def readings(numbers: Mapping[str, Any], *, fault_bound_s: float = 8.0) -> dict[str, Value]:
    """Every check's value in one measurement, in the order the gate prints them.

    A fault whose outcome arrived later than ``fault_bound_s`` reads ``hang``.
    """
    sections: dict[str, Callable[[Mapping[str, Any]], dict[str, Value]]] = {
        "ttft": _ttft,
        "blocking": _blocking,
        "disconnect": _disconnect,
        "buffering": _buffering,
        "per_token": _per_token,
        "load": _load,
        "integrity": _integrity,
        "termination": _termination,
        "faults": functools.partial(_faults, bound_s=fault_bound_s),
        "leaks": _leaks,
    }
    out: dict[str, Value] = {}
    for key, read in sections.items():
        if (section := _section(numbers, key)) is not None:
            out.update(read(section))
    return out


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def details(numbers: Mapping[str, Any]) -> dict[str, str]:
    """Per check, the measurement's evidence behind the number (for a failing check's line)."""
    out: dict[str, str] = {}
    if (ttft := _section(numbers, "ttft")) is not None:
        out["ttft.ratio"] = (
            f"service p50 {_ms(ttft.get('p50_ms'))}, direct {_ms(ttft.get('direct_p50_ms'))}"
        )
    if (per_token := _section(numbers, "per_token")) is not None:
        for streams in PER_TOKEN_STREAMS:
            pt = per_token.get(streams) or {}
            for q in ("p50", "p95"):
                out[f"per_token.{streams}.itl_{q}_ratio"] = (
                    f"service ITL {q} {_ms(pt.get(f'itl_{q}_ms'))}, "
                    f"direct {_ms(pt.get(f'direct_itl_{q}_ms'))}"
                )
    if (load := _section(numbers, "load")) is not None:
        tps, direct = load.get("tokens_per_s"), load.get("direct_tokens_per_s")
        if tps is not None and direct is not None:
            out["load.tokens_per_s_ratio"] = f"{tps:.0f} tokens/s, direct {direct:.0f} tokens/s"
    if (integrity := _section(numbers, "integrity")) is not None:
        out["integrity.mismatched_streams"] = (
            f"of {integrity.get('streams')} streams; lost {integrity.get('lost_tokens')}, "
            f"duplicated {integrity.get('duplicated_tokens')} tokens; first mismatch: "
            f"{integrity.get('first_mismatch')}"
        )
    if (termination := _section(numbers, "termination")) is not None:
        out["termination.silent_truncations"] = (
            f"{termination.get('terminated')} of {termination.get('streams')} streams terminated"
        )
    for kind, f in (_section(numbers, "faults") or {}).items():
        if isinstance(f, Mapping):
            seconds = f.get("seconds")
            out[f"faults.{kind}"] = (
                f"{f.get('outcome')}, status {f.get('status')}, "
                f"{'-' if seconds is None else f'{seconds:.2f} s'}, "
                f"{f.get('upstream_calls')} upstream call(s)"
            )
    return out


def harness_evidence(numbers: Mapping[str, Any]) -> list[str]:
    """Why the harness cannot trust this measurement (empty: it can).

    ``numbers["invalid"]`` is the harness's own control only (direct-to-mock streams, the
    client's loop lag); a failing *service* is a number for a check, never here.
    """
    reasons = [str(r) for r in numbers.get("invalid") or []]
    harness = numbers.get("harness") or {}
    if harness.get("direct_ok") is False and not reasons:
        reasons.append("streams straight from the mock failed (the harness's control)")
    if reasons and harness:
        reasons.append(
            "harness: " + ", ".join(f"{k}={v}" for k, v in harness.items() if k != "invalid")
        )
    return reasons
