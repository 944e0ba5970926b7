"""One gate measurement against a real mock and the embedded reference service.

The reference does everything right, so every new number reads healthy here; the test
also pins the contract's keys (RULES reads them) and the time budget (~90 s).
"""

from __future__ import annotations

import time
from pathlib import Path

import uvloop

from loadtests.client.endpoints import service_endpoint
from loadtests.gate.measure import measure
from loadtests.gate.probes.faults import FAULT_KINDS
from loadtests.systems.environment import embedded

PT_KEYS = {
    "itl_p50_ms",
    "itl_p95_ms",
    "direct_itl_p50_ms",
    "direct_itl_p95_ms",
    "itl_p50_ratio",
    "itl_p95_ratio",
}


def test_measure_reads_the_reference_as_healthy_within_budget(tmp_path: Path) -> None:
    with embedded(["reference"], tmp_path) as env:
        target = service_endpoint("target", env.services["reference"])
        service_pid = env.processes[1].pid
        started = time.monotonic()
        # As the gate command runs it: on uvloop, the loop the client is timed on.
        out = uvloop.run(measure(env, target, proxy=False, service_pid=service_pid))
        took_s = time.monotonic() - started
    assert took_s < 90, out["timings_s"]
    assert out["invalid"] == []
    assert out["harness"]["direct_ok"] is True
    assert {"ttft", "blocking", "disconnect"} <= set(out)
    for wave in ("single", "concurrent"):
        assert set(out["per_token"][wave]) == PT_KEYS
        assert out["per_token"][wave]["itl_p50_ratio"] < 1.5
    assert out["per_token"]["streams"] == 50
    load = out["load"]
    assert load["cpu_us_per_token"] is not None
    assert load["cpu_us_per_token"] > 0
    assert load["tokens_per_s_ratio"] > 0.7
    assert out["integrity"]["streams"] == 20
    assert out["integrity"]["mismatched_streams"] == 0
    assert out["termination"]["silent_truncations"] == 0
    assert out["termination"]["terminated"] == out["termination"]["streams"]
    faults = out["faults"]
    assert set(FAULT_KINDS) <= set(faults)
    # The reference relays an upstream status as its own and errors as error events.
    assert faults["rate_limited_429"]["outcome"] == "status"
    assert faults["error_mid_stream"]["outcome"] == "error_event"
    assert faults["dropped_connection"]["outcome"] == "error_event"
    assert faults["upstream_calls_per_request_max"] == 1
    for kind in FAULT_KINDS:
        assert faults[kind]["seconds"] < 8
    leaks = out["leaks"]
    assert leaks["rss_growth_mb"] is not None
    assert leaks["rss_growth_mb"] < 20
    assert leaks["open_connections_growth"] is not None
    assert leaks["upstream_open_after_clients_left"] == 0
