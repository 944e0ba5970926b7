"""The Locust suite through a private nginx: a buffering proxy is visible in its rows.

``no_accel_header`` served by uvicorn's h11 (close-delimited answers to nginx's HTTP/1.0)
behind nginx's defaults is held until the end (tests/proxy/test_buffering.py pins it);
the same service behind ``buffering_off.conf`` streams. Through the buffering path the
streaming user's TTFB and TTFT move to the end of the stream and ``events per read``
fails as ``buffered``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.load.stream_samples import BUFFERED
from loadtests.systems.nginx import find_nginx, running_nginx
from loadtests.systems.processes import ServerProcess, python_module, start_server
from tests.integration.load.locust_support import locust_job

pytestmark = pytest.mark.proxy

_ROOT = Path(__file__).resolve().parents[3]
TOKENS, ITL_MS = 20, 20


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    path = find_nginx()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx not found; CI=true: this test must run, not skip")
        pytest.skip("nginx not found on PATH or in /usr/sbin (apt-get install nginx)")
    return path


@pytest.fixture(scope="module")
def h11_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    logs = tmp_path_factory.mktemp("locust-nginx")
    mock = start_server(
        python_module("mock_llm", "--port", "0", "--ttft-ms", "20", "--itl-ms", str(ITL_MS),
                      "--tokens", str(TOKENS)),
        log_path=str(logs / "mock.log"),
    )  # fmt: skip
    pythonpath = os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))
    try:
        service = start_server(
            python_module("tests.proxy.h11_service", "--variant", "no_accel_header",
                          "--port", "0", "--upstream", mock.url),
            env={"PYTHONPATH": pythonpath},
            log_path=str(logs / "service.log"),
        )  # fmt: skip
        try:
            yield service
        finally:
            service.stop()
    finally:
        mock.stop()


def test_buffering_proxy_is_visible_in_the_locust_rows(
    nginx_binary: str, h11_service: ServerProcess, tmp_path: Path
) -> None:
    """Buffered: TTFT ~ E2E, ~all events per read, failures; buffering off: ~1 per read."""
    with (
        running_nginx("defaults", h11_service.url, nginx_path=nginx_binary,
                      prefix=tmp_path / "nginx-defaults") as held,
        running_nginx("buffering_off", h11_service.url, nginx_path=nginx_binary,
                      prefix=tmp_path / "nginx-off") as relayed,
        locust_job(tmp_path / "held", held.url, ["StreamingUser"], users=2,
                   run_time_s=4) as held_job,
        locust_job(tmp_path / "relayed", relayed.url, ["StreamingUser"], users=2,
                   run_time_s=4) as relayed_job,
    ):  # fmt: skip
        buffered, streamed = held_job.result(), relayed_job.result()
    stream_ms = 20 + (TOKENS - 1) * ITL_MS

    held_ttft = buffered.entry("SSE", "TTFT")
    held_reads = buffered.entry("SSE", "events per read")
    assert held_ttft.num_requests >= 3
    assert (held_ttft.min_ms or 0) >= 0.8 * stream_ms  # the first token came with the last
    assert (buffered.entry("SSE", "TTFB").min_ms or 0) >= 0.8 * stream_ms
    assert held_reads.min_ms is not None
    assert held_reads.min_ms >= TOKENS / 2
    assert held_reads.num_failures == held_reads.num_requests
    assert any(BUFFERED in line for line in buffered.outputs.directory.joinpath(
        "locust_failures.csv").read_text().splitlines())  # fmt: skip

    free_ttft = streamed.entry("SSE", "TTFT")
    free_reads = streamed.entry("SSE", "events per read")
    assert (free_ttft.percentile(0.95) or 0) < 0.5 * stream_ms
    assert free_reads.num_failures == 0
    assert (free_reads.avg_ms or 0) <= 1.2
