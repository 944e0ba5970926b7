"""Run the Locust suite in child processes: standalone, or a master and N workers.

Locust is never imported here (it monkey-patches the standard library with gevent);
it runs as ``sys.executable -m locust`` with the suite's locustfiles, always headless,
always bounded (``--run-time`` plus ``--stop-timeout``), talking to 127.0.0.1 only,
and stopped by PID. With workers, the master binds 127.0.0.1 on a free port and the
workers connect there (the same command lines work across machines with a real address).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..systems.processes import project_module, stop_process

__all__ = [
    "LOCUSTFILE",
    "SHAPE_FILES",
    "LocustOutputs",
    "LocustRun",
    "free_port",
    "locust_argv",
    "running_locust",
]

# Locust loads a locustfile by path, as a module outside any package: the suite's files
# import the package by the name given here (``streamgauge.loadtests.locust_suite`` when
# installed), see locust_suite/locustfile.py.
SUITE_PACKAGE_ENV = "STREAMGAUGE_LOCUST_SUITE"
_SUITE = Path(__file__).resolve().parents[1] / "locust_suite"
LOCUSTFILE = _SUITE / "locustfile.py"
SHAPE_FILES = {"step": _SUITE / "shape_step.py", "spike": _SUITE / "shape_spike.py"}


@dataclass(frozen=True, slots=True)
class LocustOutputs:
    """Where Locust writes: ``<dir>/locust_stats.csv``, ``locust.json``, ``locust.html``."""

    directory: Path
    prefix: str = "locust"

    @property
    def csv_prefix(self) -> Path:
        return self.directory / self.prefix

    @property
    def history_csv(self) -> Path:
        return self.directory / f"{self.prefix}_stats_history.csv"

    @property
    def stats_csv(self) -> Path:
        return self.directory / f"{self.prefix}_stats.csv"

    @property
    def json_file(self) -> Path:
        # Locust appends ".json" to --json-file itself.
        return self.directory / f"{self.prefix}.json"

    @property
    def html(self) -> Path:
        return self.directory / f"{self.prefix}.html"

    def log(self, role: str) -> Path:
        return self.directory / f"{role}.log"


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the master binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def locust_argv(
    *,
    files: Sequence[Path],
    user_classes: Sequence[str],
    suite_args: Sequence[str],
    host: str | None = None,
    run_time_s: float | None = None,
    stop_timeout_s: float = 5.0,
    outputs: LocustOutputs | None = None,
    users: int | None = None,
    spawn_rate: float | None = None,
    master_port: int | None = None,
    expect_workers: int = 0,
    worker: bool = False,
    loglevel: str = "INFO",
) -> list[str]:
    """The command line of one Locust process (standalone, master or worker).

    A standalone or master process needs ``run_time_s``; a worker takes its host,
    duration and options from the master (``master_port``).
    """
    argv = [sys.executable, "-m", "locust", "-f", ",".join(str(f) for f in files)]
    argv += ["--headless", "--loglevel", loglevel]
    if worker:
        if master_port is None:
            raise ValueError("a worker needs the master's port")
        argv += ["--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port)]
        return [*argv, *suite_args, *user_classes]
    if run_time_s is None or host is None:
        raise ValueError("a standalone or master process needs a host and a run time")
    argv += ["--host", host, "--run-time", f"{int(run_time_s + 0.999)}s"]
    argv += ["--stop-timeout", f"{stop_timeout_s:g}"]
    if users is not None:
        argv += ["--users", str(users), "--spawn-rate", f"{spawn_rate or users:g}"]
    if outputs is not None:
        argv += ["--csv", str(outputs.csv_prefix), "--csv-full-history"]
        argv += ["--json-file", str(outputs.csv_prefix), "--html", str(outputs.html)]
    if expect_workers:
        if master_port is None:
            raise ValueError("a master needs a port")
        argv += ["--master", "--master-bind-host", "127.0.0.1"]
        argv += ["--master-bind-port", str(master_port), "--expect-workers", str(expect_workers)]
        argv += ["--expect-workers-max-wait", "60"]
    return [*argv, *suite_args, *user_classes]


def locust_argvs(
    *,
    files: Sequence[Path],
    user_classes: Sequence[str],
    suite_args: Sequence[str],
    workers: int,
    host: str,
    run_time_s: float,
    stop_timeout_s: float,
    outputs: LocustOutputs,
    users: int | None = None,
    spawn_rate: float | None = None,
) -> tuple[list[str], list[list[str]]]:
    """One standalone Locust process, or a master and ``workers`` workers on a free local port."""
    port = free_port() if workers else None
    main = locust_argv(
        files=files,
        user_classes=user_classes,
        suite_args=suite_args,
        host=host,
        run_time_s=run_time_s,
        stop_timeout_s=stop_timeout_s,
        outputs=outputs,
        users=users,
        spawn_rate=spawn_rate,
        master_port=port,
        expect_workers=workers,
    )
    worker_argvs = [
        locust_argv(
            files=files, user_classes=user_classes, suite_args=suite_args, master_port=port,
            worker=True,
        )
        for _ in range(workers)
    ]  # fmt: skip
    return main, worker_argvs


@dataclass
class LocustRun:
    """The started processes: ``main`` (standalone or master) and the workers."""

    main: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [self.main.pid, *(w.pid for w in self.workers)]

    def wait(self, timeout_s: float) -> int:
        """Wait for the main process; on timeout stop everything and raise."""
        try:
            return self.main.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            raise

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM (Locust then writes its reports and quits), SIGKILL after ``grace_s``.

        The master first: it tells its workers to quit.
        """
        for proc in [self.main, *self.workers]:
            stop_process(proc, grace_s)


def suite_env() -> dict[str, str]:
    """The environment of a Locust process: ours, plus where the suite's package is."""
    return {**os.environ, SUITE_PACKAGE_ENV: project_module("loadtests.locust_suite")}


def _spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own argv, no shell
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=suite_env()
        )


@contextlib.contextmanager
def running_locust(
    main_argv: list[str],
    worker_argvs: Sequence[list[str]],
    outputs: LocustOutputs,
) -> Iterator[LocustRun]:
    """Start the main process and the workers (logs next to the outputs); always stop all."""
    outputs.directory.mkdir(parents=True, exist_ok=True)
    run = LocustRun(_spawn(main_argv, outputs.log("locust")))
    try:
        for i, argv in enumerate(worker_argvs, start=1):
            run.workers.append(_spawn(argv, outputs.log(f"locust-worker-{i}")))
        yield run
    finally:
        run.stop()
