"""The process around the endpoint: CLI, request ids, metrics, shutdown."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time

import httpx
import pytest

from loadtests.systems.processes import ServerProcess
from tests.integration.service.service_support import (
    RawStream,
    Servers,
    ServiceFor,
    ledger_records,
    metric_value,
    stream,
    wait_closed,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def mock(servers: Servers) -> ServerProcess:
    return servers.mock("--ttft-ms", "10", "--itl-ms", "5", "--tokens", "5")


@pytest.fixture(scope="module")
def service(service_for: ServiceFor) -> ServerProcess:
    return service_for("reference")


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--port", "http"], "--port"),
        (["--variant", "fastest"], "--variant"),
        (["--upstream", "ftp://example.com"], "--upstream-base-url"),
        (["--read-timeout-s", "-1"], "--read-timeout-s"),
        (["--no-such-flag", "1"], "unrecognized arguments"),
    ],
)
def test_bad_cli_value_exits_2_with_a_clear_message(flags: list[str], named: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "service", *flags],
        capture_output=True, timeout=30, check=False, text=True,
    )  # fmt: skip
    assert proc.returncode == 2
    assert named in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


async def test_request_id_is_forwarded_upstream_and_echoed(
    service: ServerProcess, mock: ServerProcess
) -> None:
    raw = await stream(service.url, {"prompt": "hi"}, request_id="client-chosen-id.42")
    assert raw.headers["x-request-id"] == "client-chosen-id.42"
    records = await ledger_records(mock.url, "client-chosen-id.42")
    assert len(records) == 1


async def test_request_id_is_made_when_missing_or_unusable(
    service: ServerProcess, mock: ServerProcess
) -> None:
    raw = await stream(service.url, {"prompt": "hi"}, request_id="has spaces, " + "x" * 200)
    made = raw.headers["x-request-id"]
    assert " " not in made
    assert len(made) == 32
    assert len(await ledger_records(mock.url, made)) == 1


@pytest.mark.parametrize("variant", ["reference", "reference_fast"])
async def test_metrics_count_streams_tokens_and_disconnects(
    service_for: ServiceFor, variant: str
) -> None:
    """Upstream streams opened and closed are counted by reference_fast (0 = 0 on the
    reference, whose streams the SDK's ``AsyncStream`` owns)."""
    service = service_for(variant)
    name = "streamgauge_service_"
    before = await metric_value(service.url, name + "tokens_relayed_total")
    done = await stream(service.url, {"prompt": "hi"})
    assert len(done.tokens()) == 5
    leaving = await RawStream.open(
        service.url, {"prompt": "hi"}, headers={"X-Mock-Tokens": "100", "X-Mock-Itl-Ms": "20"}
    )
    await leaving.read_until_events(1)
    leaving.close()
    await asyncio.sleep(0.3)
    assert await metric_value(service.url, name + "tokens_relayed_total") >= before + 6
    assert await metric_value(service.url, name + "active_streams") == 0
    assert await metric_value(service.url, name + "client_disconnects_total") >= 1
    opened = await metric_value(service.url, name + "upstream_streams_opened_total")
    if variant == "reference_fast":
        assert opened >= 2
    assert await metric_value(service.url, name + "upstream_streams_closed_total") == opened
    assert await metric_value(service.url, name + "event_loop_lag_seconds_count") > 0
    async with httpx.AsyncClient() as client:
        stalls = (await client.get(f"{service.url}/debug/stalls")).json()
    assert stalls["variant"] == variant
    assert isinstance(stalls["stalls"], list)


async def test_shutdown_closes_the_upstream_of_a_running_stream(
    servers: Servers, mock: ServerProcess
) -> None:
    """SIGTERM mid-stream: after the grace period the stream is cancelled, the
    upstream closed, and the process exits by its SIGTERM."""
    service = servers.service("reference", mock.url, "--shutdown-grace-s", "1")
    raw = await RawStream.open(
        service.url, {"prompt": "hi"}, headers={"X-Mock-Tokens": "400", "X-Mock-Itl-Ms": "25"}
    )
    await raw.read_until_events(2)
    term_ns = time.perf_counter_ns()
    service.process.send_signal(signal.SIGTERM)
    record = await wait_closed(mock.url, raw.request_id, timeout_s=5)
    closed_after_s = (record["closed_ns"] - term_ns) / 1e9
    print(f"shutdown: upstream closed {closed_after_s:.2f} s after SIGTERM (grace 1 s)")
    assert record["finish_reason"] == "client_disconnected"
    assert closed_after_s < 2.5
    # uvicorn re-raises the captured SIGTERM after a clean shutdown.
    assert await asyncio.to_thread(service.process.wait, 10) == -signal.SIGTERM
    raw.close()
