"""Settings: defaults in one model, env prefix SERVICE_, CLI flags on top, exit 2 on bad values."""

from __future__ import annotations

import pytest

from service.__main__ import parse_settings
from service.settings import ServiceSettings


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("http://127.0.0.1:8100", "http://127.0.0.1:8100/v1"),
        ("http://127.0.0.1:8100/", "http://127.0.0.1:8100/v1"),
        ("https://api.example.com/v1/", "https://api.example.com/v1"),
        ("http://proxy:9000/openai/v1", "http://proxy:9000/openai/v1"),
    ],
)
def test_upstream_url_is_normalized(given: str, normalized: str) -> None:
    assert ServiceSettings(upstream_base_url=given).upstream_base_url == normalized


def test_defaults_do_not_retry_and_bound_inputs() -> None:
    settings = ServiceSettings()
    assert settings.max_retries == 0
    assert settings.variant == "reference"
    assert settings.bearer_token is None
    assert settings.forward_mock_headers is False


def test_http_stacks_default_to_the_fast_ones_and_are_flags() -> None:
    """uvicorn on httptools (nginx's HTTP/1.0 gets a chunked answer), reference_fast on
    the lean transport; ``--http h11`` and ``--upstream-http httpx2`` switch back."""
    assert (ServiceSettings().http, ServiceSettings().upstream_http) == ("httptools", "lean")
    settings = parse_settings(["--http", "h11", "--upstream-http", "httpx2"])
    assert (settings.http, settings.upstream_http) == ("h11", "httpx2")


def test_env_then_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_MODEL", "from-env")
    monkeypatch.setenv("SERVICE_READ_TIMEOUT_S", "9")
    settings = parse_settings(
        ["--variant", "sync_generator", "--upstream", "http://h:1", "--read-timeout-s", "2.5",
         "--forward-mock-headers", "true", "--bearer-token", "s3cr3t-value"]
    )  # fmt: skip
    assert settings.model == "from-env"
    assert settings.read_timeout_s == 2.5
    assert settings.variant == "sync_generator"
    assert settings.upstream_base_url == "http://h:1/v1"
    assert settings.forward_mock_headers is True
    assert settings.bearer_token is not None
    assert settings.bearer_token.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(settings)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--port", "x"], "--port"),
        (["--port", "70000"], "--port"),
        (["--variant", "nope"], "--variant"),
        (["--upstream", "not a url"], "--upstream-base-url"),
        (["--max-body-bytes", "10"], "--max-body-bytes"),
        (["--http", "h2"], "--http"),
        (["--upstream-http", "aiohttp"], "--upstream-http"),
    ],
)
def test_bad_values_exit_2_naming_the_flag(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        parse_settings(argv)
    assert info.value.code == 2
    assert named in capsys.readouterr().err
