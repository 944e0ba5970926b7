"""One measurement of everything the gate checks, against the service under test."""

from __future__ import annotations

from typing import Any

from ..client.endpoints import Endpoint, mock_endpoint
from ..scenarios.blocking import run_blocking
from ..scenarios.buffering import ProxyPath, run_buffering
from ..scenarios.disconnect import MODES, run_disconnect
from ..scenarios.suite import wait_until_quiet
from ..scenarios.ttft import run_ttft
from ..systems.environment import Environment
from .rules import Tolerances

GATE_PATHS = (
    ProxyPath("direct", None, "target"),
    ProxyPath("nginx_defaults", "defaults", "target"),
    ProxyPath("nginx_gzip", "gzip", "target", client_gzip=True),
)


class GateEnvironmentError(Exception):
    """The measurement cannot be trusted or cannot run: exit 2."""


async def _after_quiet(mock_url: str, out: dict[str, Any]) -> None:
    """Wait for the previous scenario's upstream streams to end (as ``run`` does).

    A service that serializes streams or relays into dead sockets would otherwise still
    be working through the last scenario's load while the next one measures.
    """
    busy = await wait_until_quiet(mock_url)
    if busy is not None:
        out["invalid"].append(busy)


async def measure(env: Environment, target: Endpoint, proxy: bool) -> dict[str, Any]:
    """One measurement of everything the gate checks; raises GateEnvironmentError if invalid.

    ``target`` carries the service's shapes, path and model; every scenario sends and
    reads through them.
    """
    if env.mock_url is None:
        raise GateEnvironmentError(
            "the gate needs the mock_llm the service streams from (its ledger is the ground "
            "truth for disconnects): pass --mock with --target"
        )
    # With a mock upstream the prompt's marker shapes each request (headers too, for a
    # service that forwards them): a service that forwards no X-Mock-* headers is shaped.
    shape = env.forwards_mock_headers or env.mock_url is not None
    out: dict[str, Any] = {"invalid": []}
    ttft = await run_ttft([target], direct=mock_endpoint(env.mock_url), shape_upstream=shape)
    t = ttft.numbers["target"]
    out["ttft"] = {
        "ratio": t.get("ttft_p50_over_direct"),
        "p50_ms": t["ttft_ms"]["p50"],
        "p99_ms": t["ttft_ms"]["p99"],
        "direct_p50_ms": ttft.numbers["direct_to_mock"]["ttft_ms"]["p50"],
    }
    await _after_quiet(env.mock_url, out)
    blk = await run_blocking([target], shape_upstream=shape)
    b = blk.numbers["target"]
    out["blocking"] = {
        "healthz_p99_ms": b["probe"]["latency_ms"]["p99"],
        "ttft_spread_ms": b["ttft_spread_ms"],
    }
    # A service that serves one stream at a time would take minutes to work
    # through 100 simultaneous users, and has already failed the blocking checks.
    serialized = (b["ttft_spread_ms"] or 0) > Tolerances().serial_spread_ms
    modes = ("close_after", "stop_reading") if serialized else MODES
    await _after_quiet(env.mock_url, out)
    dc = await run_disconnect([target], mock_url=env.mock_url, shape_upstream=shape, modes=modes)
    out["disconnect"] = {
        subject.split("/", 1)[1]: {
            "tokens_after_max": n["tokens_after_leaving_max"],
            "upstream_close_ms": n["upstream_closed_after_ms"]["max"],
        }
        for subject, n in dc.numbers.items()
    }
    results = [ttft, blk, dc]
    if proxy:
        await _after_quiet(env.mock_url, out)
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
    for result in results:
        out["invalid"].extend(f"{result.name}: {r}" for r in result.invalid_reasons)
    return out
