"""One measurement of everything the gate checks, against the service under test.

The scenarios (ttft, blocking, disconnect, buffering) and then the probes
(:mod:`loadtests.gate.probes`: per-token, load, integrity, termination, faults, leaks),
each after the mock is quiet again. ``invalid`` holds only the harness's own problems
(its loop lag, its direct-to-mock control, a setup that cannot measure); what the
service does wrong is numbers, and what made a scenario unreadable because of the
service is in ``service_failures``. ``timings_s`` says how long each part took.
"""

from __future__ import annotations

import time
from typing import Any

from ..client.endpoints import Endpoint, mock_endpoint
from ..scenarios.blocking import run_blocking
from ..scenarios.buffering import ProxyPath, run_buffering
from ..scenarios.disconnect import MODES, run_disconnect
from ..scenarios.result import ScenarioResult
from ..scenarios.suite import wait_until_quiet
from ..scenarios.ttft import run_ttft
from ..systems.environment import Environment
from .probes import per_token
from .probes.faults import run_faults
from .probes.harness import harness_numbers
from .probes.integrity import integrity_numbers, integrity_wave, text_pairs
from .probes.leaks import run_leaks
from .probes.load import LOAD_SHAPE, STREAMS, load_numbers, load_waves
from .probes.termination import termination_numbers
from .probes.waves import Stream, Wave

GATE_PATHS = (
    ProxyPath("direct", None, "target"),
    ProxyPath("nginx_defaults", "defaults", "target"),
    ProxyPath("nginx_gzip", "gzip", "target", client_gzip=True),
)

#: Between the probes: long enough for a healthy service's streams to end.
PROBE_QUIET_S = 10.0
# Reasons a scenario gives that are the service's doing, not the harness's.
_SERVICE_REASONS = ("streams failed before they left", "request failed")


class GateEnvironmentError(Exception):
    """The measurement cannot be trusted or cannot run: exit 2."""


class _Parts:
    """The numbers so far, how long each part took, and what the harness's control saw."""

    def __init__(self, mock_url: str) -> None:
        self.mock_url = mock_url
        self.out: dict[str, Any] = {"invalid": [], "service_failures": [], "timings_s": {}}
        self.lags: dict[str, float | None] = {}
        self.direct_streams: list[tuple[Stream, int]] = []
        self.service_streams: list[Stream] = []
        self._started = time.monotonic()

    async def quiet(self, timeout_s: float = 60.0) -> None:
        """Wait for the previous part's upstream streams to end (as ``run`` does).

        A service that serializes streams or relays into dead sockets would otherwise
        still be working through the last part's load while the next one measures;
        that is the service's failure, not the harness's.
        """
        busy = await wait_until_quiet(self.mock_url, timeout_s=timeout_s)
        if busy is not None:
            self.out["service_failures"].append(busy)

    def took(self, part: str) -> None:
        now = time.monotonic()
        self.out["timings_s"][part] = round(now - self._started, 1)
        self._started = now

    def reasons(self, result: ScenarioResult) -> None:
        for reason in result.invalid_reasons:
            line = f"{result.name}: {reason}"
            service = any(s in reason for s in _SERVICE_REASONS)
            self.out["service_failures" if service else "invalid"].append(line)

    def waves(self, name: str, direct: Wave | None, service: Wave, tokens: int) -> None:
        """Keep a part's waves: lag for the harness, direct streams, service streams."""
        if direct is not None:
            self.lags[f"{name}_direct"] = direct.loop_lag_p99_ms
            self.direct_streams += [(s, tokens) for s in direct.streams]
        self.lags[name] = service.loop_lag_p99_ms
        self.service_streams += service.streams


async def measure(
    env: Environment, target: Endpoint, *, proxy: bool, service_pid: int | None = None
) -> dict[str, Any]:
    """One measurement of everything the gate checks (the contract: /tmp/gate_v2_spec.md).

    ``target`` carries the service's shapes, path and model; every scenario and probe
    sends and reads through them. ``service_pid`` (``--app`` or ``--pid``) adds CPU per
    token, RSS and connections. Raises GateEnvironmentError when it cannot measure.
    """
    if env.mock_url is None:
        raise GateEnvironmentError(
            "the gate needs the mock_llm the service streams from (its ledger is the ground "
            "truth for disconnects): pass --mock with --target"
        )
    mock_url = env.mock_url
    parts = _Parts(mock_url)
    out = parts.out
    serialized, direct_ttft_errors = await _scenarios(env, target, proxy, parts)
    # A service serving one stream at a time would take minutes over 50 or 200 streams
    # (and has failed blocking): load and leaks are not measured (None).
    await _per_token_and_load(target, mock_endpoint(mock_url), service_pid, serialized, parts)

    await parts.quiet(PROBE_QUIET_S)
    wave = await integrity_wave(target)
    parts.waves("integrity", None, wave, 0)
    out["integrity"] = integrity_numbers(text_pairs(wave.streams, mock_url))
    out["termination"] = termination_numbers(parts.service_streams)
    parts.took("integrity")

    await parts.quiet(PROBE_QUIET_S)
    out["faults"] = await run_faults(target, mock_url)
    parts.took("faults")

    out["leaks"] = {
        "rss_growth_mb": None,
        "open_connections_growth": None,
        "upstream_open_after_clients_left": None,
    }
    if not serialized:
        await parts.quiet(PROBE_QUIET_S)
        out["leaks"] = await run_leaks(target, mock_url, service_pid)
    parts.took("leaks")

    harness, invalid = harness_numbers(parts.lags, parts.direct_streams)
    if direct_ttft_errors:
        harness["direct_ok"] = False
        invalid.append("ttft: direct-to-mock requests failed: the harness's own control")
    out["harness"] = harness
    out["invalid"].extend(invalid)
    return out


async def _per_token_and_load(
    target: Endpoint, direct: Endpoint, service_pid: int | None, serialized: bool, parts: _Parts
) -> None:
    """``per_token`` (one stream, then N) and ``load`` (the same N-stream waves)."""
    out = parts.out
    await parts.quiet(PROBE_QUIET_S)
    one_direct, one_service = await per_token.single_waves(target, direct)
    parts.waves("per_token_single", one_direct, one_service, per_token.SINGLE_SHAPE.tokens or 0)
    out["per_token"] = {
        "single": per_token.per_token_numbers(
            per_token.itl_ms(one_service.streams), per_token.itl_ms(one_direct.streams)
        ),
        "concurrent": None,
        "streams": STREAMS,
    }
    parts.took("per_token_single")
    out["load"] = load_numbers([], [], cpu_us_per_token=None)
    if serialized:
        return
    await parts.quiet(PROBE_QUIET_S)
    waves = await load_waves(target, direct, service_pid)
    parts.waves("load", waves.direct, waves.service, LOAD_SHAPE.tokens or 0)
    out["per_token"]["concurrent"] = per_token.per_token_numbers(
        per_token.itl_ms(waves.service.streams), per_token.itl_ms(waves.direct.streams)
    )
    out["load"] = load_numbers(
        waves.service.streams, waves.direct.streams, cpu_us_per_token=waves.cpu_us_per_token
    )
    parts.took("load_and_per_token_concurrent")


async def _scenarios(
    env: Environment, target: Endpoint, proxy: bool, parts: _Parts
) -> tuple[bool, int]:
    """The v1 scenarios, their numbers in their v1 shape.

    Returns whether the service serializes streams and how many direct-to-mock TTFT
    requests failed (the harness's control).
    """
    assert env.mock_url is not None
    out = parts.out
    # The prompt's marker shapes each request (headers too, for a service that forwards
    # them): a service that forwards no X-Mock-* headers is shaped all the same.
    shape = True
    ttft = await run_ttft([target], direct=mock_endpoint(env.mock_url), shape_upstream=shape)
    t = ttft.numbers["target"]
    out["ttft"] = {
        "ratio": t.get("ttft_p50_over_direct"),
        "p50_ms": t["ttft_ms"]["p50"],
        "p99_ms": t["ttft_ms"]["p99"],
        "direct_p50_ms": ttft.numbers["direct_to_mock"]["ttft_ms"]["p50"],
    }
    parts.took("ttft")
    await parts.quiet()
    blk = await run_blocking([target], shape_upstream=shape)
    b = blk.numbers["target"]
    out["blocking"] = {
        "healthz_p99_ms": b["probe"]["latency_ms"]["p99"],
        "ttft_spread_ms": b["ttft_spread_ms"],
    }
    # A service that serves one stream at a time would take minutes to work
    # through 100 simultaneous users, and has already failed the blocking checks.
    serialized = (b["ttft_spread_ms"] or 0) > blk.settings["serial_ms"]
    modes = ("close_after", "stop_reading") if serialized else MODES
    parts.took("blocking")
    await parts.quiet()
    dc = await run_disconnect([target], mock_url=env.mock_url, shape_upstream=shape, modes=modes)
    out["disconnect"] = {
        subject.split("/", 1)[1]: {
            "tokens_after_max": n["tokens_after_leaving_max"],
            "upstream_close_ms": n["upstream_closed_after_ms"]["max"],
        }
        for subject, n in dc.numbers.items()
    }
    parts.took("disconnect")
    results = [ttft, blk, dc]
    if proxy:
        await parts.quiet()
        buf = await run_buffering(
            {"target": target.base_url},
            paths=GATE_PATHS,
            shape_upstream=shape,
            request_shape=target.request,
            response_shape=target.response,
            stream_path=target.url.removeprefix(target.base_url),
            # A team's service: a stream straight from the mock is the control, and the
            # service's own path arriving in bursts is a finding, not a bad measurement.
            control_mock_url=env.mock_url if env.external_target else None,
        )
        if buf.skipped:
            raise GateEnvironmentError(buf.skipped)
        out["buffering"] = dict(buf.verdicts)
        results.append(buf)
        parts.took("buffering")
    for result in results:
        parts.reasons(result)
    return serialized, int(ttft.numbers["direct_to_mock"]["errors"])
