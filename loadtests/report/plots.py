"""PNG plots of a run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def ttft_per_variant(numbers: Mapping[str, Mapping[str, Any]], out: Path) -> Path | None:
    """One strip of TTFTs per target (from the ttft scenario), log scale."""
    series = {name: n.get("ttft_first_ms") or [] for name, n in numbers.items()}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(series) + 1.6))
    for i, values in enumerate(series.values()):
        ax.scatter(values, [i] * len(values), s=14, alpha=0.6)
        ax.plot([sorted(values)[len(values) // 2]] * 2, [i - 0.3, i + 0.3], color="black")
    ax.set_yticks(range(len(series)), list(series))
    ax.set_xscale("log")
    ax.set_xlabel("time to first token (ms, log scale); bar = median")
    ax.set_title("TTFT per target, same upstream, same run")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def healthz_over_time(
    series: Mapping[str, Sequence[Sequence[float]]], out: Path, slo_ms: float = 100.0
) -> Path | None:
    """/healthz latency against time since the load started, one line per variant."""
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(9, 4))
    for name, points in series.items():
        ax.plot([p[0] for p in points], [p[1] for p in points], marker=".", lw=1, label=name)
    ax.axhline(slo_ms, color="red", ls="--", lw=1, label=f"{slo_ms:g} ms")
    ax.set_xlabel("seconds since streams started")
    ax.set_ylabel("GET /healthz latency (ms)")
    ax.set_title("Health probe (separate process, fixed rate) while streams run")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
