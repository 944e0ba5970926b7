"""``streamgauge capacity`` options: clear messages and exit code 2 for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.capacity.options import parse_options
from loadtests.cli import main as cli_main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--step-s", "5"], "step_s must be >= 10"),
        (["--workers", "-1"], "--workers must be in 0..64"),
        (["--target", "ftp://example"], "--target must be an http:// URL"),
        (["--target", "http://127.0.0.1:1", "--variant", "reference"], "--variant and --upstream"),
        (["--app", "main:app", "--upstream-tokens", "5"], "--variant and --upstream"),
        (
            ["--app", "main:app", "--proxy", "nginx:defaults", "--nginx", "defaults"],
            "--nginx and --proxy both put a proxy in front",
        ),
        (["--target-format", "openai"], "unrecognized arguments: --target-format openai"),
        (["--start-users", "10", "--max-users", "5"], "max_users (5) must be >= start_users"),
        (["--slo-max-error-ratio", "2"], "max_error_ratio must be in [0, 1]"),
        (["--nginx", "nope"], "unknown --nginx template 'nope'"),
        (["--variant", "nope"], "invalid choice: 'nope'"),
        (["--users", "5"], "unrecognized arguments: --users 5"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["capacity", *args, "--out", str(tmp_path)])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing started, no run folder


def test_help_lists_the_documented_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["capacity", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--slo-ttft-p95-ms", "--workers", "--step-s", "--nginx", "--target", "--app"):
        assert flag in out
    for flag in ("--proxy", "--request-shape", "--response-shape", "--body", "--model"):
        assert flag in out


def test_an_app_is_not_the_embedded_variant() -> None:
    """With ``--app`` or ``--target`` there is no embedded variant to start."""
    assert parse_options(["--app", "main:app"]).variant is None
    assert parse_options(["--target", "http://127.0.0.1:1"]).variant is None
    assert parse_options([]).variant == "reference"
    assert parse_options(["--variant", "no_accel_header"]).variant == "no_accel_header"
