"""CPU time and memory of the service's process, when the harness started it (``--app``).

Read with psutil before and after each scenario; the per-token figure divides the CPU
the service spent by the tokens the clients read from it in that scenario. The gate's
leak probe also counts the process's open TCP connections (:func:`open_connections`).
"""

from __future__ import annotations

from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class UsageSample:
    cpu_s: float  # user + system, the process and its threads
    rss_bytes: int


def sample(pid: int) -> UsageSample | None:
    """The process's CPU time and RSS now; ``None`` if it is gone."""
    try:
        proc = psutil.Process(pid)
        times = proc.cpu_times()
        return UsageSample(times.user + times.system, proc.memory_info().rss)
    except psutil.Error:
        return None


def usage_numbers(
    before: UsageSample | None, after: UsageSample | None, tokens_relayed: int
) -> dict[str, float | int | None]:
    """CPU seconds spent, CPU per relayed token (µs) and RSS at the end (MB). Pure."""
    if before is None or after is None:
        return {"cpu_s": None, "cpu_us_per_token": None, "rss_mb": None, "tokens": tokens_relayed}
    cpu_s = max(0.0, after.cpu_s - before.cpu_s)
    return {
        "cpu_s": round(cpu_s, 4),
        "cpu_us_per_token": round(cpu_s * 1e6 / tokens_relayed, 1) if tokens_relayed else None,
        "rss_mb": round(after.rss_bytes / 2**20, 1),
        "tokens": tokens_relayed,
    }


def open_connections(pid: int) -> int | None:
    """The process's TCP sockets that are not listening (any state); ``None`` if gone.

    Established client and upstream connections, an idle keep-alive pool, and sockets
    left in CLOSE_WAIT (the peer closed, the process never did: a leak).
    """
    try:
        conns = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return None
    return sum(1 for c in conns if c.status != psutil.CONN_LISTEN)
