"""Start our servers as child processes and stop exactly those, by PID.

Every server entry point (``python -m mock_llm``, ``python -m service``) binds
127.0.0.1 port 0 itself and prints one line ``LISTENING_PREFIX + url`` on stdout
once the socket is listening, so callers never guess ports.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

# The line each server prints once it listens (``mock_llm/cli.py``, ``service/cli.py``
# print it; tests/unit/systems/test_processes.py keeps the three equal).
LISTENING_PREFIX = "streamgauge: listening on "

# The repository's top-level packages install under one ``streamgauge`` namespace
# (``streamgauge.mock_llm``, see setup.py) and are top-level in a checkout; a child
# process runs the same copy as this one.
PROJECT_PACKAGES = ("mock_llm", "service", "loadtests")
NAMESPACE = __name__.removesuffix("loadtests.systems.processes")


def project_module(name: str) -> str:
    """``mock_llm`` -> ``streamgauge.mock_llm`` when installed; other names as they are."""
    return NAMESPACE + name if name.split(".", maxsplit=1)[0] in PROJECT_PACKAGES else name


@dataclass
class ServerProcess:
    """A started server: its URL, its PID, and where its output went."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: str | None = None
    argv: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout_s: float = 5.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout_s``; returns the exit code."""
        stop_process(self.process, timeout_s)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def stop_process(proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Stop one child we started: SIGTERM, then SIGKILL after ``timeout_s``."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)


class ServerStartError(RuntimeError):
    """The child exited or stayed silent before announcing its URL."""


def _read_url(proc: subprocess.Popen[bytes], deadline: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    try:
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            for line in buf.decode(errors="replace").splitlines():
                if line.startswith(LISTENING_PREFIX):
                    return line[len(LISTENING_PREFIX) :].strip()
    finally:
        sel.close()
    raise ServerStartError(
        f"server did not announce its URL (exit={proc.poll()}); output so far: {buf[-2000:]!r}"
    )


def start_server(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    timeout_s: float = 30.0,
    log_path: str | None = None,
    cpu_list: str | None = None,
) -> ServerProcess:
    """Launch ``argv`` (a Python module entry point), wait for its URL.

    ``cpu_list`` pins the child with ``taskset`` (benchmarks pin the server to
    one core and the load generator to the other). stderr goes to ``log_path``
    (or is discarded) so a chatty server cannot fill a pipe and stall.
    """
    cmd = list(argv)
    if cpu_list is not None:
        cmd = ["taskset", "-c", cpu_list, *cmd]
    stderr: int | IO[bytes] = subprocess.DEVNULL
    log_file = None
    if log_path is not None:
        log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        stderr = log_file
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    proc = subprocess.Popen(  # noqa: S603 - argv is ours, never a shell string
        cmd,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=full_env,
    )
    if log_file is not None:
        log_file.close()
    try:
        url = _read_url(proc, time.monotonic() + timeout_s)
    except BaseException:
        ServerProcess(url="", process=proc).stop()
        raise
    return ServerProcess(url=url, process=proc, log_path=log_path, argv=cmd)


def start_servers(
    argvs: Sequence[Sequence[str]],
    *,
    log_paths: Sequence[str | None] | None = None,
    timeout_s: float = 60.0,
    env: dict[str, str] | None = None,
) -> list[ServerProcess]:
    """Start several servers in parallel (imports overlap); stop all if one fails."""
    paths = list(log_paths) if log_paths is not None else [None] * len(argvs)
    procs: list[subprocess.Popen[bytes]] = []
    full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    for argv, log_path in zip(argvs, paths, strict=True):
        log_file = open(log_path, "ab") if log_path else None  # noqa: SIM115 - handed to child
        procs.append(
            subprocess.Popen(  # noqa: S603 - argv is ours
                list(argv),
                stdout=subprocess.PIPE,
                stderr=log_file if log_file is not None else subprocess.DEVNULL,
                env=full_env,
            )
        )
        if log_file is not None:
            log_file.close()
    servers: list[ServerProcess] = []
    deadline = time.monotonic() + timeout_s
    try:
        for proc, argv, log_path in zip(procs, argvs, paths, strict=True):
            servers.append(
                ServerProcess(
                    url=_read_url(proc, deadline), process=proc, log_path=log_path, argv=list(argv)
                )
            )
    except BaseException:
        for proc in procs:
            ServerProcess(url="", process=proc).stop()
        raise
    return servers


@contextlib.contextmanager
def running_server(argv: Sequence[str], **kwargs: object) -> Iterator[ServerProcess]:
    """Context manager form of :func:`start_server` that always stops the child."""
    server = start_server(argv, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


def python_module(module: str, *args: str) -> list[str]:
    """``[sys.executable, -m, module, *args]``: the same interpreter and venv as ours."""
    return [sys.executable, "-m", project_module(module), *args]
