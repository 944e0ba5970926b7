"""A fixed-rate (open-loop) GET prober that runs in its own process.

Blocking in a service shows up as latency of a trivial endpoint. The prober
sends at fixed times whatever happened to earlier probes (open loop), on a
fresh connection each, so one stalled probe never delays the next one's send.
It runs in its own process: a prober inside the load generator measured the
load generator (p99 792 ms inside vs 33 ms separate: docs/behaviours.md#event-loop-lag).

``python -m loadtests.client.prober URL --rate 50 --duration 5`` prints one JSON
object: ``{"samples": [[intended_ns, sent_ns, done_ns, status], ...]}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop


@dataclass(frozen=True)
class ProbeSample:
    intended_ns: int
    sent_ns: int
    done_ns: int | None  # None: no answer before the prober's deadline
    status: int | None

    @property
    def latency_ns(self) -> int | None:
        """Completion minus the *intended* send time: stalls of the prober count too."""
        return None if self.done_ns is None else self.done_ns - self.intended_ns


async def _probe(
    host: str, port: int, path: str, intended_ns: int, timeout_s: float
) -> ProbeSample:
    sent = time.perf_counter_ns()
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(
                f"GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode()
            )
            status_line = await reader.readline()
            await reader.read()  # to EOF: the whole answer
            done = time.perf_counter_ns()
            writer.close()
        status = int(status_line.split()[1]) if status_line.count(b" ") >= 1 else None
        return ProbeSample(intended_ns, sent, done, status)
    except (OSError, TimeoutError, ValueError, IndexError):
        return ProbeSample(intended_ns, sent, None, None)


async def run_prober(
    url: str, rate_per_s: float, duration_s: float, timeout_s: float = 10.0
) -> list[ProbeSample]:
    """Probe ``url`` at ``rate_per_s`` for ``duration_s`` (bounded: rate x duration probes)."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    period_ns = int(1e9 / rate_per_s)
    count = max(1, int(duration_s * rate_per_s))
    start = time.perf_counter_ns()
    tasks = []
    for i in range(count):
        intended = start + i * period_ns
        delay = (intended - time.perf_counter_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_probe(host, port, path, intended, timeout_s)))
    return list(await asyncio.gather(*tasks))


def spawn_prober(
    url: str, rate_per_s: float, duration_s: float, cpu_list: str | None = None
) -> subprocess.Popen[str]:
    """Start the prober as a child process; collect with :func:`collect_prober`."""
    cmd = [
        sys.executable,
        "-m",
        __name__,
        url,
        "--rate",
        str(rate_per_s),
        "--duration",
        str(duration_s),
    ]
    if cpu_list is not None:
        cmd = ["taskset", "-c", cpu_list, *cmd]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our argv


def collect_prober(proc: subprocess.Popen[str], timeout_s: float = 60.0) -> list[ProbeSample]:
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"prober exited with {proc.returncode}")
    data = json.loads(out)
    return [ProbeSample(*row) for row in data["samples"]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.client.prober", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=50.0, help="probes per second")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=10.0, help="per-probe timeout, s")
    args = parser.parse_args(argv)
    if not 0 < args.rate <= 1000 or not 0 < args.duration <= 3600:
        parser.error("--rate must be in (0, 1000] and --duration in (0, 3600]")
    samples = uvloop.run(run_prober(args.url, args.rate, args.duration, args.timeout))
    json.dump(
        {"samples": [[s.intended_ns, s.sent_ns, s.done_ns, s.status] for s in samples]}, sys.stdout
    )


if __name__ == "__main__":
    main()
