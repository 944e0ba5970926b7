"""A private nginx: its files stay under its prefix, it proxies, and it is gone afterwards."""

from __future__ import annotations

import os
import socket
import urllib.request
from pathlib import Path

import pytest

from loadtests.systems import nginx as nginx_module
from loadtests.systems.nginx import (
    NginxStartError,
    check_config,
    running_nginx,
    template_names,
)
from loadtests.systems.processes import ServerProcess

pytestmark = pytest.mark.proxy


def _children_of(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return children


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


@pytest.mark.parametrize("template", template_names())
def test_every_template_passes_nginx_t(template: str, nginx_binary: str) -> None:
    """Each deploy/nginx/*.conf, wrapped for a private instance, is a valid nginx config."""
    assert "test is successful" in check_config(
        template, "http://127.0.0.1:9", nginx_path=nginx_binary
    )


def test_proxies_and_keeps_its_files_under_the_prefix(
    nginx_binary: str, paced_mock: ServerProcess, tmp_path: Path
) -> None:
    """pid file, logs and temp dirs live under the prefix; requests reach the upstream."""
    with running_nginx(
        "defaults", paced_mock.url, nginx_path=nginx_binary, prefix=tmp_path
    ) as nginx:
        assert nginx.url == f"http://127.0.0.1:{nginx.port}"
        assert (tmp_path / "logs" / "nginx.pid").read_text().strip() == str(nginx.pid)
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            assert (tmp_path / "temp" / name).is_dir()
        with urllib.request.urlopen(nginx.url + "/v1/models", timeout=5) as response:
            assert response.status == 200
            assert b"mock-gpt" in response.read()
    config = nginx.config_path.read_text()
    assert "/var/lib/nginx" not in config
    assert "/run/" not in config
    assert "GET /v1/models" in nginx.access_log()


def test_stop_leaves_no_process_and_no_listener(
    nginx_binary: str, paced_mock: ServerProcess
) -> None:
    """SIGQUIT to our master: master and workers exit, the port closes, the temp prefix goes."""
    with running_nginx("buffering_off", paced_mock.url, nginx_path=nginx_binary) as nginx:
        workers = _children_of(nginx.pid)
        assert workers, "nginx master should have a worker"
        prefix = nginx.prefix
    assert not _alive(nginx.pid)
    assert not [w for w in workers if _alive(w)]
    assert _refuses(nginx.port)
    assert not prefix.exists()


def test_a_taken_port_is_retried(
    nginx_binary: str, paced_mock: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another socket grabs the probed port first (EADDRINUSE), a new port is tried."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        ports = iter([taken])
        real_free_port = nginx_module._free_port
        monkeypatch.setattr(
            nginx_module, "_free_port", lambda: next(ports, None) or real_free_port()
        )
        with running_nginx("defaults", paced_mock.url, nginx_path=nginx_binary) as nginx:
            assert nginx.port != taken
            with urllib.request.urlopen(nginx.url + "/v1/models", timeout=5) as response:
                assert response.status == 200


def test_a_bad_config_fails_with_nginx_message(nginx_binary: str, tmp_path: Path) -> None:
    """nginx's own complaint reaches the caller, and nothing is left running."""
    template = tmp_path / "broken.conf"
    template.write_text("server {\n    listen {{listen}};\n    proxy_bufering off;\n}\n")
    before = set(_children_of(os.getpid()))
    with (
        pytest.raises(NginxStartError, match="unknown directive"),
        running_nginx(template, "http://127.0.0.1:9", nginx_path=nginx_binary),
    ):
        pass
    assert set(_children_of(os.getpid())) <= before
