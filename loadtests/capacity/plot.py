"""The capacity PNG: TTFT and ITL percentiles and tokens/s against users.

Three panels sharing the users axis; the SLO bounds as dashed lines, the knee as a
vertical line through all three (and in the title), steps where the load generator
saturated as red dotted lines (their latencies include the generator's own delay).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from ..load.slo import AggregateSLO
from .knee import CapacityResult, StepResult

__all__ = ["plot_capacity"]


def _series(steps: Sequence[StepResult], attr: str) -> tuple[list[int], list[float]]:
    xs: list[int] = []
    ys: list[float] = []
    for step in steps:
        value = getattr(step, attr)
        if value is not None:
            xs.append(step.users)
            ys.append(float(value))
    return xs, ys


def plot_capacity(result: CapacityResult, slo: AggregateSLO, title: str, out: Path) -> Path | None:
    """Write the PNG to ``out``; ``None`` when there is no step to draw."""
    steps = result.steps
    if not steps:
        return None
    fig, (ax_ttft, ax_itl, ax_tok) = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    panels = (
        (ax_ttft, "ttft", "TTFT (ms)", slo.ttft_p95_ms),
        (ax_itl, "itl", "ITL, all gaps (ms)", slo.itl_p95_ms),
    )
    for ax, key, label, bound in panels:
        for pct, style in (("p50", "o-"), ("p95", "s-"), ("p99", "^:")):
            xs, ys = _series(steps, f"{key}_{pct}_ms")
            ax.plot(xs, ys, style, ms=4, lw=1.2, label=pct)
        ax.axhline(bound, color="red", ls="--", lw=1, label=f"SLO p95 <= {bound:g} ms")
        ax.set_ylabel(label)
        if key == "ttft":
            # TTFT spans 100 ms to tens of seconds; plain numbers, not 1.2x10^2.
            ax.set_yscale("log")
            plain = FuncFormatter(lambda value, _: f"{value:g}")
            ax.yaxis.set_major_formatter(plain)
            low, high = ax.get_ylim()
            if high < 10 * low:  # within a decade only the minor ticks carry numbers
                ax.yaxis.set_minor_formatter(plain)
                ax.tick_params(axis="y", which="minor", labelsize=7)
        else:
            # Linear from 0: an overloaded service coalesces writes and ITL p50 reads 0,
            # which a log axis would silently drop.
            ax.set_ylim(bottom=0, top=max(bound * 1.5, ax.get_ylim()[1]))
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8, loc="best")
    xs, ys = _series(steps, "tokens_per_s")
    ax_tok.plot(xs, ys, "o-", ms=4, color="tab:green", label="output tokens/s (all streams)")
    ax_tok.set_ylabel("tokens/s")
    ax_tok.set_ylim(bottom=0)
    ax_tok.set_xlabel("concurrent streams (users)")
    ax_tok.grid(alpha=0.3)
    ax_tok.legend(fontsize=8, loc="upper left")
    saturated = [s.users for s in steps if s.saturated]
    for ax in (ax_ttft, ax_itl, ax_tok):
        if result.knee_users is not None:
            ax.axvline(result.knee_users, color="black", lw=1.5, alpha=0.7)
        for users in saturated:
            ax.axvline(users, color="red", lw=0.8, alpha=0.4, ls=":")
    if result.knee_users is None:
        knee = "no step met the SLO"
    else:
        above = " or more (SLO met at every step)" if result.knee_above_range else ""
        knee = f"knee (black line): {result.knee_users} users{above}"
    verdict = "" if result.valid else "  [INVALID: load generator saturated]"
    # The knee goes in the title: an annotation would sit on the curves or the legend.
    ax_ttft.set_title(f"{title}: {knee}{verdict}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
