"""The few sentences a run's summary starts with, from its results. Pure.

The embedded teaching run names each mistake and its number; a team's own service
(``--target``, ``--app``) gets one judgement per scenario, naming what was in the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..scenarios.buffering import headline as buffering_headline
from ..scenarios.judgement import Judgement
from ..scenarios.result import ScenarioResult


def embedded_headline(results: Mapping[str, ScenarioResult]) -> list[str]:
    """What the teaching variants showed, one sentence per mistake."""
    lines: list[str] = []
    blk = results.get("blocking")
    if blk and "sync_client_in_async" in blk.numbers and "reference" in blk.numbers:
        bad, good = blk.numbers["sync_client_in_async"], blk.numbers["reference"]
        ttfts = ", ".join(f"{t / 1e3:.2f}" for t in bad["ttfts_ms"])
        lines.append(
            f"Sync OpenAI client inside async def: {len(bad['ttfts_ms'])} concurrent streams got "
            f"their first token at {ttfts} s (serialized); /healthz p99 "
            f"{bad['probe']['latency_ms']['p99']:.0f} ms vs "
            f"{good['probe']['latency_ms']['p99']:.0f} ms with AsyncOpenAI."
        )
    dc = results.get("disconnect")
    if dc and dc.numbers:
        per_variant: dict[str, int] = {}
        for subject, n in dc.numbers.items():
            variant = subject.split("/")[0]
            per_variant[variant] = per_variant.get(variant, 0) + n["tokens_after_leaving_total"]
        lines.append(
            "Tokens generated upstream after users left (all modes): "
            + ", ".join(f"{v} {t}" for v, t in per_variant.items())
        )
    buf = results.get("buffering")
    if buf and buf.numbers and not buf.skipped:
        lines.extend(buffering_headline(buf))
    ttft = results.get("ttft")
    if ttft and "reference" in ttft.numbers:
        ref = ttft.numbers["reference"]
        if "ttft_p50_added_ms" in ref:
            lines.append(
                f"Reference service adds {ref['ttft_p50_added_ms']:.1f} ms to TTFT p50 "
                f"over direct-to-mock ({ref['ttft_p50_over_direct']:.2f}x)."
            )
    return lines


def target_headline(
    judgements: Sequence[Judgement],
    described_as: str,
    results: Mapping[str, ScenarioResult] | None = None,
) -> list[str]:
    """One line per scenario about ``described_as`` (what was really measured), and the
    service process's cost when the harness started it."""
    lines = [f"{described_as}: {j.line()}" for j in judgements]
    ttft = (results or {}).get("ttft")
    usage = ttft.service_process if ttft is not None else None
    if usage and usage.get("cpu_us_per_token") is not None:
        lines.append(
            f"{described_as}: {usage['cpu_us_per_token']:.0f} µs of CPU per relayed token "
            f"({usage['tokens']} tokens in the ttft scenario), RSS {usage['rss_mb']} MB"
        )
    return lines
