"""One measurement of everything the gate checks, against the service under test."""

from __future__ import annotations

from typing import Any

from ..client.endpoints import Endpoint, mock_endpoint
from ..scenarios.blocking import run_blocking
from ..scenarios.buffering import ProxyPath, run_buffering
from ..scenarios.disconnect import MODES, run_disconnect
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


async def measure(env: Environment, target: Endpoint, proxy: bool) -> dict[str, Any]:
    """One measurement of everything the gate checks; raises GateEnvironmentError if invalid."""
    assert env.mock_url is not None
    shape = True  # gate targets must forward X-Mock-* headers or use the mock's defaults
    out: dict[str, Any] = {"invalid": []}
    ttft = await run_ttft([target], direct=mock_endpoint(env.mock_url), shape_upstream=shape)
    t = ttft.numbers["target"]
    out["ttft"] = {
        "ratio": t.get("ttft_p50_over_direct"),
        "p50_ms": t["ttft_ms"]["p50"],
        "p99_ms": t["ttft_ms"]["p99"],
        "direct_p50_ms": ttft.numbers["direct_to_mock"]["ttft_ms"]["p50"],
    }
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
        buf = await run_buffering(
            {"target": target.base_url},
            paths=GATE_PATHS,
            shape_upstream=shape,
            request_shape=target.request,
            response_shape=target.response,
        )
        if buf.skipped:
            raise GateEnvironmentError(buf.skipped)
        out["buffering"] = dict(buf.verdicts)
        results.append(buf)
    for result in results:
        out["invalid"].extend(f"{result.name}: {r}" for r in result.invalid_reasons)
    return out
