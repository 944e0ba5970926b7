"""``baseline``, ``gate`` and ``capacity`` take the service-under-test flags as ``run`` does.

A combination that cannot be measured is refused before anything starts: one line
``<prog>: error: <why>`` and exit code 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.cli import main as cli_main

APP = "tests.user_services.seed000_style:app"
COMMANDS = ("baseline", "gate", "capacity")

BAD: list[tuple[list[str], str]] = [
    (
        ["--app", APP, "--target", "http://127.0.0.1:1", "--mock", "http://127.0.0.1:2"],
        "--app starts your service; --target measures one already running: not both",
    ),
    (["--proxy", "haproxy:defaults"], "--proxy goes in front of --app or --target"),
    (["--app", APP, "--body", '{"input": "hello"}'], "--body has no {prompt} placeholder"),
    (["--app", APP, "--body", "{not json"], "--body is not valid JSON"),
    (
        ["--app", APP, "--request-shape", "messages", "--body", '{"q": "{prompt}"}'],
        "--body replaces --request-shape: give one of them",
    ),
    (["--app", APP, "--header", "no colon"], "expected 'Name: value'"),
    (["--app", APP, "--response-shape", "text", "--token-field", "x"], "--token-field applies"),
    (["--request-shape", "messages"], "the shape flags describe --app or --target"),
    (["--app", "seed000_style"], "--app takes MODULE:ATTR (like uvicorn)"),
    (["--env", "A=1"], "--env sets the environment of --app"),
    (["--mock", "http://127.0.0.1:2"], "--mock goes with --target"),
    (["--target", "ftp://example", "--mock", "http://127.0.0.1:2"], "--target must be an http://"),
    (["--proxy", "squid:defaults", "--app", APP], "expected KIND:TEMPLATE"),
]


def _argv(command: str, tmp_path: Path) -> list[str]:
    """Each command's own required flags, pointing into ``tmp_path``."""
    if command == "baseline":
        return ["baseline", "--out", str(tmp_path / "baseline.json")]
    if command == "gate":
        return ["gate", "--baseline", str(tmp_path / "baseline.json")]
    return ["capacity", "--out", str(tmp_path)]


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> str:
    with pytest.raises(SystemExit) as exited:
        cli_main(argv)
    assert exited.value.code == 2
    assert not any(tmp_path.iterdir())  # nothing started, nothing written
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"streamgauge {argv[0]}: error: "), err
    return last


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("flags", "message"), BAD, ids=[m for _, m in BAD])
def test_a_bad_combination_is_one_line_and_exit_2(
    command: str,
    flags: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert message in _refused([*_argv(command, tmp_path), *flags], capsys, tmp_path)


@pytest.mark.parametrize("command", ["baseline", "gate"])
def test_the_gate_needs_the_mock_a_target_streams_from(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The disconnect checks read the target's upstream ledger: no ``--mock``, no gate."""
    argv = [*_argv(command, tmp_path), "--target", "http://127.0.0.1:1"]
    assert "--target and --mock go together" in _refused(argv, capsys, tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
def test_target_format_is_gone(
    command: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The shape flags replaced ``--target-format`` everywhere."""
    argv = [*_argv(command, tmp_path), "--target-format", "openai"]
    assert "unrecognized arguments: --target-format" in _refused(argv, capsys, tmp_path)
