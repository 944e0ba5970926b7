"""Config generation for a private nginx: pure, no nginx binary needed."""

from __future__ import annotations

import os
import pwd
import re
from pathlib import Path

import pytest

from loadtests.systems import nginx
from loadtests.systems.nginx import (
    TEMPLATES_DIR,
    load_template,
    render_config,
    render_server,
    template_names,
)

UPSTREAM = {"listen": "127.0.0.1:4321", "upstream": "127.0.0.1:8000"}


def test_the_four_templates_are_there() -> None:
    """Correct and broken side by side: defaults, buffering_off, gzip, and the http11 control."""
    assert template_names() == ["buffering_off", "defaults", "gzip", "http11"]


@pytest.mark.parametrize("name", template_names())
def test_each_template_has_a_header_and_both_placeholders(name: str) -> None:
    """A comment header naming the file and its verdict, then one server block."""
    text = load_template(name)
    first = text.splitlines()[0]
    assert re.match(rf"# {name}\.conf -- (CORRECT|BROKEN|CONTROL)", first), first
    code = "\n".join(line.partition("#")[0] for line in text.splitlines())
    assert "listen {{listen}};" in code
    assert "proxy_pass http://{{upstream}};" in code


@pytest.mark.parametrize("name", template_names())
def test_each_template_renders_completely(name: str) -> None:
    rendered = render_server(load_template(name), UPSTREAM)
    code = "\n".join(line.partition("#")[0] for line in rendered.splitlines())
    assert "{{" not in code
    assert "listen 127.0.0.1:4321;" in code
    assert "proxy_pass http://127.0.0.1:8000;" in code


def test_the_templates_differ_where_their_headers_say() -> None:
    """buffering_off adds only proxy_buffering off; gzip is http11 plus gzip lines."""

    def directives(name: str) -> set[str]:
        lines = (line.partition("#")[0].strip() for line in load_template(name).splitlines())
        return {line for line in lines if line}

    assert directives("buffering_off") - directives("defaults") == {"proxy_buffering off;"}
    assert directives("defaults") <= directives("buffering_off")
    extra = directives("gzip") - directives("http11")
    assert {"gzip on;", "gzip_types text/event-stream;"} <= extra
    assert not any("buffering" in d for d in directives("gzip") | directives("http11"))


def test_placeholders_are_filled_but_comments_and_nginx_variables_kept() -> None:
    text = "# uses {{listen}}\nlisten {{ listen }}; # {{upstream}}\nlog $request_time;\n"
    assert render_server(text, {"listen": "127.0.0.1:1"}) == (
        "# uses {{listen}}\nlisten 127.0.0.1:1; # {{upstream}}\nlog $request_time;\n"
    )


def test_an_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"\{\{upsteam\}\}"):
        render_server("proxy_pass http://{{upsteam}};", UPSTREAM)


def test_an_unknown_template_name_lists_the_known_ones() -> None:
    with pytest.raises(FileNotFoundError, match="defaults"):
        load_template("nope")


def test_a_template_can_be_a_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.conf"
    path.write_text("server { listen {{listen}}; }\n")
    assert load_template(path) == path.read_text()
    assert (TEMPLATES_DIR / "defaults.conf").is_file()


def test_full_config_keeps_every_file_under_the_prefix(tmp_path: Path) -> None:
    """pid, both logs and all five temp paths under the prefix; nothing in /var or /run."""
    config = render_config(render_server(load_template("defaults"), UPSTREAM), tmp_path)
    assert f"pid {tmp_path}/logs/nginx.pid;" in config
    assert f"error_log {tmp_path}/logs/error.log" in config
    assert f"access_log {tmp_path}/logs/access.log" in config
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{name}_temp_path {tmp_path}/temp/{name};" in config
    assert "/var/" not in config
    assert "/run/" not in config
    assert "listen 127.0.0.1:4321;" in config
    assert config.count("{") == config.count("}")


@pytest.mark.parametrize(("euid", "has_user_line"), [(0, True), (1000, False)])
def test_user_directive_only_when_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, euid: int, has_user_line: bool
) -> None:
    """A root master would run workers as nobody, locked out of a 0700 prefix."""
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: type("P", (), {"pw_name": "root"}))
    config = render_config("server {}", tmp_path)
    assert ("\nuser root;" in config) is has_user_line


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1:1", "http://127.0.0.1:1/v1", "127.0.0.1:1", "http://:1"]
)
def test_upstream_must_be_a_plain_http_origin(url: str) -> None:
    with pytest.raises(ValueError, match="upstream"):
        nginx._upstream_of(url)


def test_upstream_origin_becomes_host_port() -> None:
    assert nginx._upstream_of("http://127.0.0.1:8000/") == "127.0.0.1:8000"


def test_find_nginx_returns_an_executable_or_none() -> None:
    found = nginx.find_nginx()
    assert found is None or Path(found).is_file()
