"""Run the Locust suite from a test: always a subprocess, bounded, stopped by PID.

Locust is never imported here (it would monkey-patch pytest's process with gevent);
the tests read what it wrote: ``locust.json`` and ``locust_stats_history.csv``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtests.load.locust_process import (
    LOCUSTFILE,
    LocustOutputs,
    LocustRun,
    locust_argvs,
    running_locust,
)
from loadtests.load.locust_stats import HistoryRow, LocustEntry, parse_history_csv, parse_stats_json

#: Past ``-t`` and ``-s``: Locust's startup, shutdown and report writing.
_MARGIN_S = 30.0


@dataclass(frozen=True)
class LocustResult:
    exit_code: int
    stats: dict[tuple[str, str], LocustEntry]
    history: list[HistoryRow]
    log: str
    outputs: LocustOutputs

    def entry(self, method: str, name: str) -> LocustEntry:
        found = self.stats.get((method, name))
        assert found is not None, f"no {method} {name!r} row; rows: {sorted(self.stats)}"
        return found


@dataclass(frozen=True)
class LocustJob:
    """A started run; :meth:`result` waits for it."""

    run: LocustRun
    outputs: LocustOutputs
    timeout_s: float

    def result(self) -> LocustResult:
        code = self.run.wait(self.timeout_s)
        for worker in self.run.workers:
            worker.wait(timeout=_MARGIN_S)
        out = self.outputs
        return LocustResult(
            exit_code=code,
            stats=parse_stats_json(out.json_file.read_text()),
            history=parse_history_csv(out.history_csv.read_text()),
            log=out.log("locust").read_text(errors="replace"),
            outputs=out,
        )


@contextlib.contextmanager
def locust_job(
    out_dir: Path,
    host: str,
    user_classes: Sequence[str],
    *suite_args: str,
    users: int,
    run_time_s: float,
    workers: int = 0,
    files: Sequence[Path] = (LOCUSTFILE,),
) -> Iterator[LocustJob]:
    """Start Locust headless against ``host`` (127.0.0.1) for ``run_time_s``; always stop it."""
    assert host.startswith("http://127.0.0.1:"), host
    outputs = LocustOutputs(out_dir)
    main, worker_argvs = locust_argvs(
        files=files,
        user_classes=user_classes,
        suite_args=suite_args,
        workers=workers,
        host=host,
        run_time_s=run_time_s,
        stop_timeout_s=3,
        outputs=outputs,
        users=users,
        spawn_rate=users,
    )
    with running_locust(main, worker_argvs, outputs) as run:
        yield LocustJob(run, outputs, run_time_s + 3 + _MARGIN_S)


def run_locust(
    out_dir: Path,
    host: str,
    user_classes: Sequence[str],
    *suite_args: str,
    users: int,
    run_time_s: float,
    workers: int = 0,
) -> LocustResult:
    with locust_job(
        out_dir, host, user_classes, *suite_args, users=users, run_time_s=run_time_s,
        workers=workers,
    ) as job:  # fmt: skip
        return job.result()


def worker_logs(result: LocustResult) -> list[str]:
    return [
        p.read_text(errors="replace")
        for p in sorted(result.outputs.directory.glob("locust-worker-*.log"))
    ]


__all__ = ["LocustJob", "LocustResult", "locust_job", "run_locust", "worker_logs"]
