"""Plain-word judgements of a team's own service, one per scenario. Pure.

The embedded teaching run compares each variant with what it is expected to do; a
``--target`` or ``--app`` has no expectations, only findings:

- ``ok``: nothing wrong was measured;
- ``slow``: the service adds more to TTFT than the scenario's budget over direct-to-mock;
- ``blocks``: /healthz stalled while streams ran (with the stall's place when the
  service reports one at ``/debug/stalls``);
- ``leaks``: tokens were generated upstream after the users left (the mock's ledger);
- ``buffered``: the stream arrived in bursts (reads, the burst interval);
- ``broken``: streams failed (the first error);
- ``not measurable``: the harness could not tell, and why. Never a 0 in its place.

The exit code: 1 when any scenario found a problem, else 2 when any could not be
measured, else 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .result import ScenarioResult

Word = Literal["ok", "slow", "blocks", "leaks", "buffered", "broken", "not measurable"]
PROBLEMS: frozenset[str] = frozenset({"slow", "blocks", "leaks", "buffered", "broken"})
EXIT_OK, EXIT_PROBLEM, EXIT_NOT_MEASURED = 0, 1, 2

NOT_FORWARDED = (
    "the mock saw none of this run's requests: your service does not forward "
    "the prompt or x-request-id"
)


@dataclass(frozen=True)
class Judgement:
    scenario: str
    word: Word
    detail: str

    @property
    def problem(self) -> bool:
        return self.word in PROBLEMS

    def line(self) -> str:
        return f"{self.scenario}: {self.word}" + (f": {self.detail}" if self.detail else "")


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _first_error(result: ScenarioResult) -> str | None:
    return next((r.error for r in result.records if r.error), None)


def judge_ttft(result: ScenarioResult, subject: str = "target") -> Judgement:
    numbers = result.numbers.get(subject)
    if result.skipped or numbers is None:
        return Judgement("ttft", "not measurable", result.skipped or "no streams were sent")
    requests, errors = numbers["requests"], numbers["errors"]
    p50 = numbers["ttft_ms"]["p50"]
    if p50 is None or errors:
        first = numbers.get("first_error") or _first_error(result) or "no content was read"
        return Judgement("ttft", "broken", f"{errors} of {requests} streams failed: {first}")
    added = numbers.get("ttft_p50_added_ms")
    detail = f"TTFT p50 {p50:.1f} ms, p99 {numbers['ttft_ms']['p99']:.1f} ms" + (
        f", {added:+.1f} ms over direct-to-mock" if added is not None else ""
    )
    word: Word = "slow" if result.verdicts.get(subject) == "slow" else "ok"
    return Judgement("ttft", word, detail)


def judge_blocking(result: ScenarioResult, subject: str = "target") -> Judgement:
    numbers = result.numbers.get(subject)
    if result.skipped or numbers is None:
        return Judgement("blocking", "not measurable", result.skipped or "not run")
    probe = numbers["probe"]
    latency = probe["latency_ms"]
    if not probe["probes"] or latency["p99"] is None:
        return Judgement("blocking", "not measurable", "no /healthz probe was answered")
    ttfts = numbers["ttfts_ms"]
    streams = f"; first tokens at {ttfts[0] / 1e3:.2f}-{ttfts[-1] / 1e3:.2f} s" if ttfts else ""
    detail = (
        f"/healthz p99 {latency['p99']:.0f} ms, max {latency['max']:.0f} ms while "
        f"{result.settings.get('concurrency', '?')} streams ran{streams}"
    )
    if probe["unanswered"]:
        detail += f"; {probe['unanswered']} of {probe['probes']} probes unanswered"
    verdict = result.verdicts.get(subject)
    if verdict == "blocks":
        if numbers.get("stalls"):
            top = numbers["stalls"][0]
            detail += (
                f"; stall {top.get('duration_ms')} ms in {top.get('blocking_call')} "
                f"from {top.get('service_frame')}"
            )
        return Judgement("blocking", "blocks", detail)
    if verdict == "ok":
        return Judgement("blocking", "ok", detail)
    return Judgement(
        "blocking",
        "not measurable",
        f"{detail}: between the ok ({result.settings.get('ok_ms')} ms) and blocks "
        f"({result.settings.get('block_ms')} ms) bounds",
    )


def judge_disconnect(result: ScenarioResult) -> Judgement:
    if result.skipped:
        return Judgement("disconnect", "not measurable", result.skipped)
    modes: Mapping[str, Mapping[str, Any]] = result.numbers
    if not modes:
        return Judgement("disconnect", "not measurable", "no users left")
    if all(n["users"] == 0 for n in modes.values()) and any(
        n["users_never_sent_upstream"] for n in modes.values()
    ):
        failed = sum(n["users_failed"] for n in modes.values())
        return Judgement(
            "disconnect",
            "not measurable",
            NOT_FORWARDED + (f" ({failed} users' streams also failed)" if failed else ""),
        )
    parts = [
        f"{subject.rsplit('/', 1)[-1]} {n['tokens_after_leaving_total']}"
        + (f" ({n['users_failed']} failed)" if n["users_failed"] else "")
        for subject, n in modes.items()
    ]
    detail = "tokens generated upstream after users left, per mode: " + ", ".join(parts)
    leaking = [s for s in modes if result.verdicts.get(s) == "leaks"]
    if leaking:
        leaked = sum(modes[s]["tokens_after_leaving_total"] for s in leaking)
        closed = [modes[s]["upstream_closed_after_ms"]["max"] for s in leaking]
        held = max((c for c in closed if c is not None), default=None)
        return Judgement(
            "disconnect",
            "leaks",
            f"{leaked} tokens; upstream closed up to {_ms(held)} after a user left; {detail}",
        )
    failed = sum(n["users_failed"] for n in modes.values())
    if failed:
        return Judgement("disconnect", "broken", f"{failed} users' streams failed; {detail}")
    return Judgement("disconnect", "ok", detail)


def burst_interval_ms(numbers: Mapping[str, Any]) -> float | None:
    """Mean time between the reads that carried events: the proxy's flush period."""
    reads = numbers.get("arrivals_with_events") or 0
    first, last = numbers.get("first_event_ms"), numbers.get("last_event_ms")
    if reads < 2 or first is None or last is None:
        return None
    return float(last - first) / (reads - 1)


def judge_buffering(result: ScenarioResult, path: str = "direct") -> Judgement:
    if result.skipped:
        return Judgement("buffering", "not measurable", result.skipped)
    numbers = result.numbers.get(path)
    verdict = result.verdicts.get(path)
    if numbers is None or verdict is None:
        return Judgement("buffering", "not measurable", "the service's own path was not measured")
    if numbers.get("error"):
        return Judgement("buffering", "broken", str(numbers["error"]))
    reads = numbers["arrivals_with_events"]
    detail = (
        f"{numbers['events']} events in {reads} read{'' if reads == 1 else 's'} "
        f"(max {numbers['max_events_per_arrival']} per read), first token "
        f"{_ms(numbers.get('ttft_ms'))}, last {_ms(numbers.get('last_event_ms'))}"
    )
    if verdict == "buffered":
        interval = burst_interval_ms(numbers)
        if interval is not None:
            detail += f", bursts every {interval:.0f} ms"
        return Judgement("buffering", "buffered", detail)
    if verdict == "streams":
        return Judgement("buffering", "ok", f"streams per event: {detail}")
    return Judgement("buffering", "not measurable", f"{verdict}: {detail}")


JUDGES = {
    "ttft": judge_ttft,
    "blocking": judge_blocking,
    "disconnect": judge_disconnect,
    "buffering": judge_buffering,
}


def judge(results: Mapping[str, ScenarioResult]) -> list[Judgement]:
    return [JUDGES[name](result) for name, result in results.items() if name in JUDGES]


def exit_code(judgements: Sequence[Judgement]) -> int:
    if any(j.problem for j in judgements):
        return EXIT_PROBLEM
    if any(j.word == "not measurable" for j in judgements):
        return EXIT_NOT_MEASURED
    return EXIT_OK
