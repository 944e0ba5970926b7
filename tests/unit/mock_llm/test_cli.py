"""The command line made from the settings model: readable help, comma lists, one line per error."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from mock_llm.__main__ import parse_settings
from mock_llm.cli import build_parser, parse_settings_cli
from mock_llm.settings import MockSettings


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """argparse wraps help at $COLUMNS: wide enough that no flag's line breaks."""
    monkeypatch.setenv("COLUMNS", "250")


def mock_help() -> str:
    return build_parser(MockSettings, "mock_llm").format_help()


@pytest.mark.parametrize("internal", ["list[str]", "{str,None}", "default factory", "{Path,None}"])
def test_help_shows_no_pydantic_internals(internal: str) -> None:
    assert internal not in mock_help()


@pytest.mark.parametrize(
    "shown",
    [
        "--models MODEL[,MODEL...]",
        "none: accept any id and echo it back",
        "(default: none)",
        "ignore_eos with max_tokens makes it exactly max_tokens",
        "printed at startup and in /mock/stats (length_rule)",
        "then the keys of the prompt's marker",
        "echo (the prompt, its marker cut out)",
        "--fault-kinds KIND[,KIND...]",
        "KIND: one of status, error_event, drop, stall, malformed, no_done",
        "(default: error_event,drop,malformed)",
        "--api-key TOKEN ",
        "--ttft-ms MS ",
        "(default: 100)",
        "--tokens N ",
        "(default: 50)",
        "--on-disconnect {abort,continue}",
        "--cyclic-gc {true,false}",
        "(default: false)",
        "--ledger-jsonl PATH ",
        "--retry-after-s SECONDS",
        "MOCK_LLM_HOST for --host",
    ],
)
def test_help_names_values_and_defaults_plainly(shown: str) -> None:
    assert shown in mock_help()


def test_python_m_mock_llm_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse_settings(["--help"])
    assert info.value.code == 0
    assert "--models MODEL[,MODEL...]" in capsys.readouterr().out


def test_no_flags_give_the_models_defaults() -> None:
    assert parse_settings([]) == MockSettings()


def test_any_model_id_by_default_and_the_old_model_flags_are_gone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--models`` (empty: any id) replaced ``--model`` and ``--extra-models``."""
    assert parse_settings([]).models == []
    for old in ("--model", "--extra-models"):
        with pytest.raises(SystemExit) as info:
            parse_settings([old, "x"])
        assert info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_list_flags_take_commas_a_repeated_flag_or_nothing() -> None:
    assert parse_settings(["--models", "a,b"]).models == ["a", "b"]
    assert parse_settings(["--models", "a", "--models", "b, c"]).models == ["a", "b", "c"]
    assert parse_settings(["--models", ""]).models == []
    assert parse_settings(["--fault-kinds", "status,drop"]).fault_kinds == ["status", "drop"]
    assert parse_settings(["--fault-kinds", ""]).fault_kinds == []


def test_values_are_validated_by_the_model() -> None:
    settings = parse_settings(
        ["--ttft-ms", "2.5", "--tokens", "7", "--cyclic-gc", "true", "--on-disconnect", "continue"]
    )
    assert (settings.ttft_ms, settings.tokens, settings.cyclic_gc) == (2.5, 7, True)
    assert settings.on_disconnect == "continue"


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--port", "70000"], "mock_llm: error: --port: Input should be less than or equal to"),
        (["--on-disconnect", "maybe"], "mock_llm: error: --on-disconnect: Input should be"),
        (["--fault-kinds", "drop,bogus"], "mock_llm: error: --fault-kinds: Input should be"),
        (["--nope", "1"], "mock_llm: error: unrecognized arguments: --nope 1"),
        (["--tokens"], "mock_llm: error: argument --tokens: expected one argument"),
    ],
)
def test_a_bad_value_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    with pytest.raises(SystemExit) as info:
        parse_settings(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(line)


def test_each_bad_value_gets_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse_settings(["--tokens", "0", "--itl-ms", "x"])
    assert info.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert {line.split(":")[2].strip() for line in lines} == {"--tokens", "--itl-ms"}
    assert "(got 'x')" in "".join(lines)


def test_env_is_read_and_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCK_LLM_TOKENS", "7")
    monkeypatch.setenv("MOCK_LLM_MODELS", '["x","y"]')
    assert parse_settings([]).tokens == 7
    assert parse_settings([]).models == ["x", "y"]
    assert parse_settings(["--tokens", "9"]).tokens == 9


def test_a_bad_env_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCK_LLM_PORT", "abc")
    with pytest.raises(SystemExit) as info:
        parse_settings([])
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith("mock_llm: error: MOCK_LLM_PORT: ")


class OtherSettings(BaseSettings):
    """Another process's model: the same code makes its command line."""

    model_config = SettingsConfigDict(env_prefix="OTHER_")

    upstream_base_url: str = Field("http://127.0.0.1:1/v1", description="where to send")
    token: SecretStr = Field(SecretStr("sk-default"), description="never echoed")
    out: Path | None = None
    timeout_s: float = 1.5


def test_any_settings_model_gets_flags_shortcuts_and_hidden_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shortcuts = {"upstream-base-url": "upstream"}
    text = build_parser(OtherSettings, "other", shortcuts).format_help()
    assert "--upstream-base-url URL, --upstream URL" in text
    assert "--token SECRET " in text
    assert "sk-default" not in text
    assert "--out PATH" in text
    assert "default: 1.5" in text.split("--timeout-s SECONDS", 1)[1].splitlines()[0]
    parsed = parse_settings_cli(OtherSettings, ["--upstream", "http://h:2/v1"], "other", shortcuts)
    assert parsed.upstream_base_url == "http://h:2/v1"
    with pytest.raises(SystemExit):
        parse_settings_cli(OtherSettings, ["--timeout-s", "soon"], "other")
    assert capsys.readouterr().err.startswith("other: error: --timeout-s: ")
