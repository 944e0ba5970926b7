"""Locust command lines: headless, bounded, 127.0.0.1 for master and workers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from loadtests.load.locust_process import (
    LOCUSTFILE,
    SHAPE_FILES,
    LocustOutputs,
    locust_argv,
    locust_argvs,
)


def test_standalone_is_headless_bounded_and_writes_every_report(tmp_path: Path) -> None:
    out = LocustOutputs(tmp_path)
    argv = locust_argv(
        files=[LOCUSTFILE, SHAPE_FILES["step"]], user_classes=["StreamingUser"],
        suite_args=["--no-slo-check"], host="http://127.0.0.1:9", run_time_s=12.5,
        stop_timeout_s=5, outputs=out,
    )  # fmt: skip
    assert argv[:3] == [sys.executable, "-m", "locust"]
    assert argv[4] == f"{LOCUSTFILE},{SHAPE_FILES['step']}"
    assert "--headless" in argv
    assert argv[argv.index("--run-time") + 1] == "13s"  # rounded up, never shorter
    assert argv[argv.index("--stop-timeout") + 1] == "5"
    assert argv[argv.index("--json-file") + 1] == str(tmp_path / "locust")
    assert out.json_file == tmp_path / "locust.json"  # Locust appends .json
    assert "--csv-full-history" in argv
    assert argv[-2:] == ["--no-slo-check", "StreamingUser"]
    assert "--master" not in argv


def test_master_binds_loopback_and_workers_connect_there() -> None:
    master = locust_argv(
        files=[LOCUSTFILE], user_classes=[], suite_args=[], host="http://127.0.0.1:9",
        run_time_s=10, master_port=5599, expect_workers=2,
    )  # fmt: skip
    assert master[master.index("--master-bind-host") + 1] == "127.0.0.1"
    assert master[master.index("--master-bind-port") + 1] == "5599"
    assert master[master.index("--expect-workers") + 1] == "2"
    worker = locust_argv(
        files=[LOCUSTFILE], user_classes=["StreamingUser"], suite_args=[], master_port=5599,
        worker=True,
    )  # fmt: skip
    assert worker[worker.index("--master-host") + 1] == "127.0.0.1"
    assert "--run-time" not in worker


def test_unbounded_or_portless_runs_are_refused() -> None:
    with pytest.raises(ValueError, match="run time"):
        locust_argv(files=[LOCUSTFILE], user_classes=[], suite_args=[], host="http://x")
    with pytest.raises(ValueError, match="port"):
        locust_argv(files=[LOCUSTFILE], user_classes=[], suite_args=[], worker=True)


def test_a_master_and_its_workers_share_one_port_and_no_workers_means_standalone(
    tmp_path: Path,
) -> None:
    common = {
        "files": [LOCUSTFILE],
        "user_classes": ["StreamingUser"],
        "suite_args": [],
        "host": "http://127.0.0.1:9",
        "run_time_s": 10,
        "stop_timeout_s": 3,
        "outputs": LocustOutputs(tmp_path),
    }
    master, workers = locust_argvs(workers=2, **common)  # type: ignore[arg-type]
    port = master[master.index("--master-bind-port") + 1]
    assert master[master.index("--expect-workers") + 1] == "2"
    assert len(workers) == 2
    assert all(w[w.index("--master-port") + 1] == port for w in workers)
    alone, none = locust_argvs(workers=0, **common)  # type: ignore[arg-type]
    assert "--master" not in alone
    assert none == []
