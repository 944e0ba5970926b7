"""``streamgauge baseline`` and ``gate`` refuse what they cannot judge, before measuring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtests.cli import main as cli_main


def test_a_v1_baseline_is_refused_with_exit_2_and_how_to_re_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "v1.json"
    old.write_text(json.dumps({"gate_schema_version": "1", "numbers": {"ttft": {}}}))
    assert cli_main(["gate", "--baseline", str(old)]) == 2
    out = " ".join(capsys.readouterr().out.split())
    assert "schema '1'" in out
    assert "record it again with `streamgauge baseline --out ...`" in out


def test_an_unreadable_baseline_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["gate", "--baseline", str(tmp_path / "missing.json")]) == 2
    assert "cannot read baseline" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--runs", "2"], "--runs must be at least 3"),
        (["--pid", "123"], "--pid names the process of --target"),
    ],
)
def test_baseline_flags_that_cannot_work_are_one_line_and_exit_2(
    flags: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli_main(["baseline", "--out", str(tmp_path / "b.json"), *flags])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
