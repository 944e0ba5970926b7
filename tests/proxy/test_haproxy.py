"""A private HAProxy: valid configs, its files under its prefix, and how it delivers SSE.

Pinned (HAProxy 2.6.12 Debian, 50 events 20 ms apart from the reference service):
Debian's defaults deliver the stream in bursts ~220 ms apart (5 reads, up to 11 events
each, here); ``option http-no-delay`` delivers every event in a read of its own. The
margins are wide because two shared cores are noisy: a burst is >= 100 ms, a stream's
gaps stay under 100 ms.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from loadtests.client.stream_client import stream_request
from loadtests.scenarios.buffering import measure_path
from loadtests.scenarios.buffering_detector import BufferingEvidence
from loadtests.systems.haproxy import (
    HaproxyStartError,
    check_config,
    load_template,
    running_haproxy,
    template_names,
)
from loadtests.systems.processes import ServerProcess
from tests.proxy.conftest import EVENTS, ITL_MS

pytestmark = pytest.mark.proxy


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def _directives(config: str) -> list[str]:
    """The config's lines without comments and blank lines."""
    return [line.strip() for line in config.splitlines() if line.strip()[:1] not in ("", "#")]


async def _stream_through(
    template: str, service: ServerProcess, haproxy_binary: str, prefix: Path
) -> tuple[dict[str, Any], BufferingEvidence]:
    with running_haproxy(
        template, service.url, haproxy_path=haproxy_binary, prefix=prefix
    ) as haproxy:
        record = await stream_request(
            haproxy.url + "/chat/stream",
            {"prompt": "hi"},
            request_id=f"haproxy-{template}-{uuid.uuid4().hex[:8]}",
        )
    numbers, evidence, error = measure_path(record)
    assert error is None, (error, numbers, haproxy.log())
    assert numbers["events"] == EVENTS, numbers
    return numbers, evidence


@pytest.mark.parametrize("template", template_names())
def test_every_template_passes_haproxy_c(template: str, haproxy_binary: str) -> None:
    """Each deploy/haproxy/*.cfg, with the generated global section, is a valid config."""
    assert "Configuration file is valid" in check_config(
        template, "127.0.0.1:9", haproxy_path=haproxy_binary
    )


def test_templates_are_the_pair_we_measure() -> None:
    """defaults and no_delay differ by exactly `option http-no-delay`."""
    assert template_names() == ["defaults", "no_delay"]
    defaults, no_delay = (_directives(load_template(n)) for n in ("defaults", "no_delay"))
    extra = [d for d in no_delay if d not in defaults]
    assert extra == ["option\thttp-no-delay"]


async def test_defaults_deliver_in_bursts(
    haproxy_binary: str, reference_service: ServerProcess, tmp_path: Path
) -> None:
    """Debian's defaults: the first event is held >= 100 ms, then the 50 events arrive in a
    few reads, bursts >= 100 ms apart."""
    numbers, evidence = await _stream_through(
        "defaults", reference_service, haproxy_binary, tmp_path
    )
    assert evidence.verdict == "buffered", numbers
    assert numbers["arrivals_with_events"] < EVENTS / 2, numbers
    assert numbers["max_events_per_arrival"] >= 3, numbers
    assert numbers["max_gap_ms"] >= 5 * ITL_MS, numbers
    assert numbers["first_event_ms"] >= 5 * ITL_MS, numbers


async def test_no_delay_streams_event_by_event(
    haproxy_binary: str, reference_service: ServerProcess, tmp_path: Path
) -> None:
    """`option http-no-delay`: nearly every event in a read of its own, gaps < 100 ms."""
    numbers, evidence = await _stream_through(
        "no_delay", reference_service, haproxy_binary, tmp_path
    )
    assert evidence.verdict == "streams", numbers
    assert numbers["arrivals_with_events"] >= 0.8 * EVENTS, numbers
    assert numbers["max_gap_ms"] < 5 * ITL_MS, numbers
    assert numbers["first_event_ms"] < 0.2 * numbers["last_event_ms"], numbers


def test_proxies_and_keeps_its_files_under_the_prefix(
    haproxy_binary: str, paced_mock: ServerProcess, tmp_path: Path
) -> None:
    """Config and log live under the prefix; the request reaches the upstream and is logged;
    the generated config needs nothing from /run, /var/lib/haproxy or syslog."""
    with running_haproxy(
        "defaults", paced_mock.url, haproxy_path=haproxy_binary, prefix=tmp_path
    ) as haproxy:
        assert haproxy.url == f"http://127.0.0.1:{haproxy.port}"
        with socket.create_connection(("127.0.0.1", haproxy.port), timeout=5) as conn:
            conn.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 200"), reply
        assert b"mock-gpt" in reply
    config = _directives(haproxy.config_path.read_text())
    assert haproxy.config_path.parent.parent == tmp_path
    for absent in ("/run/", "/var/lib/haproxy", "/dev/log", "daemon", "stats socket"):
        assert not [d for d in config if absent in d], absent
    assert '"GET /v1/models HTTP/1.1"' in haproxy.log()


def test_stop_leaves_no_process_and_no_listener(
    haproxy_binary: str, paced_mock: ServerProcess
) -> None:
    """The soft stop ends our one process, closes the port, and removes the temp prefix."""
    with running_haproxy("no_delay", paced_mock.url, haproxy_path=haproxy_binary) as haproxy:
        assert _alive(haproxy.pid)
        prefix = haproxy.prefix
    assert not _alive(haproxy.pid)
    assert _refuses(haproxy.port)
    assert not prefix.exists()


def test_a_bad_config_fails_with_haproxy_message(haproxy_binary: str, tmp_path: Path) -> None:
    """haproxy's own complaint reaches the caller, for -c and for a start."""
    template = tmp_path / "broken.cfg"
    template.write_text(
        "defaults\n\tmode http\n\toption http-no-dealy\n"
        "frontend f\n\tbind {{listen}}\n\tdefault_backend b\n"
        "backend b\n\tserver s {{upstream}}\n"
    )
    with pytest.raises(HaproxyStartError, match="http-no-dealy"):
        check_config(template, "127.0.0.1:9", haproxy_path=haproxy_binary)
    with (
        pytest.raises(HaproxyStartError, match="http-no-dealy"),
        running_haproxy(template, "127.0.0.1:9", haproxy_path=haproxy_binary),
    ):
        pass
