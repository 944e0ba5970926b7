"""A busy-polling raw-socket load client for the paced mock benchmark.

Why a second load generator beside wrk: on this VM a loopback write that has
to wake a sleeping reader costs the *writer* ~8 us (the reader's vCPU must be
woken), against ~3.3 us when the reader is already running. wrk sleeps in
epoll_wait between reads, so every token the server writes pays that wake-up:
a cost of running client and server on one host, not of the server. This
client never sleeps (``epoll.poll(0)`` in a loop on its own core), so the
server under test pays only for its own work, as it would with the client on
another machine. It reads and counts bytes; a response ends at the chunked
terminator.

It prints one line ``JSON {...}`` with the keys of the benchmark's wrk script
(requests, duration_us, errors, latency_*_us, bytes) plus ``max_poll_gap_ms``,
the longest it went without polling: it kept up if that stays well under the
inter-token latency.

Bounded: new requests stop at ``--seconds``; streams in flight get
``--drain-s`` more, then it exits. Loopback only.

Run: ``python -m tests.bench.polling_client URL --connections 1000 --seconds 15``.
"""

from __future__ import annotations

import argparse
import json
import random
import select
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

END = b"\r\n0\r\n\r\n"
OK = b"HTTP/1.1 200"


@dataclass
class Conn:
    sock: socket.socket
    sent_ns: int = 0
    tail: bytes = b""
    head_checked: bool = False
    busy: bool = False


@dataclass
class Tally:
    durations_ns: list[int] = field(default_factory=list)
    errors: int = 0
    bytes: int = 0
    max_gap_ns: int = 0


def request_bytes(host: str, path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def percentile_ns(sorted_ns: list[int], q: float) -> int:
    if not sorted_ns:
        return 0
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))]


def run(
    url: str, connections: int, seconds: float, stagger_s: float, drain_s: float, seed: int
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if host not in ("127.0.0.1", "localhost"):
        raise SystemExit("polling_client: loopback targets only")
    body = json.dumps(
        {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    ).encode()
    req = request_bytes(host, parts.path or "/v1/chat/completions", body)
    now = time.monotonic_ns
    rng = random.Random(seed)
    epoll = select.epoll()
    conns: dict[int, Conn] = {}
    for _ in range(connections):
        sock = socket.create_connection((host, port))
        sock.setblocking(False)
        conns[sock.fileno()] = Conn(sock)
        epoll.register(sock.fileno(), select.EPOLLIN)
    t0 = now()
    # First requests spread over stagger_s: a steady population of streams,
    # not a thousand arrivals in the same millisecond every stream duration.
    starts = sorted((t0 + int(rng.random() * stagger_s * 1e9), fd) for fd in conns)
    stop_ns = t0 + int(seconds * 1e9)
    give_up_ns = stop_ns + int(drain_s * 1e9)
    tally = Tally()
    next_start = 0
    in_flight = 0
    last = now()
    while True:
        t = now()
        tally.max_gap_ns = max(tally.max_gap_ns, t - last)
        last = t
        while next_start < len(starts) and starts[next_start][0] <= t:
            conn = conns[starts[next_start][1]]
            next_start += 1
            if t < stop_ns:
                conn.sock.send(req)
                conn.sent_ns, conn.busy, in_flight = t, True, in_flight + 1
        if t >= give_up_ns or (t >= stop_ns and in_flight == 0):
            break
        for fd, _ in epoll.poll(0):
            conn = conns[fd]
            try:
                data = conn.sock.recv(65536)
            except ConnectionError:
                data = b""
            t = now()
            if not data:
                tally.errors += 1
                epoll.unregister(fd)
                if conn.busy:
                    in_flight -= 1
                conn.busy = False
                continue
            tally.bytes += len(data)
            if not conn.head_checked:
                conn.head_checked = True
                if not data.startswith(OK):
                    tally.errors += 1
            joined = conn.tail + data[-len(END) :]
            if joined.endswith(END):
                tally.durations_ns.append(t - conn.sent_ns)
                conn.tail, conn.head_checked = b"", False
                if t < stop_ns:
                    conn.sock.send(req)
                    conn.sent_ns = t
                else:
                    conn.busy, in_flight = False, in_flight - 1
            else:
                conn.tail = joined[-len(END) :]
    for conn in conns.values():
        conn.sock.close()
    epoll.close()
    durations = sorted(tally.durations_ns)
    n = len(durations)
    return {
        "requests": n,
        "duration_us": (last - t0) / 1e3,
        "errors": tally.errors + in_flight,
        "latency_mean_us": sum(durations) / n / 1e3 if n else 0.0,
        "latency_p50_us": percentile_ns(durations, 0.50) / 1e3,
        "latency_p99_us": percentile_ns(durations, 0.99) / 1e3,
        "latency_max_us": durations[-1] / 1e3 if n else 0.0,
        "bytes": tally.bytes,
        "max_poll_gap_ms": tally.max_gap_ns / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--stagger-s", type=float, default=1.0, help="spread of first requests")
    parser.add_argument("--drain-s", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = run(args.url, args.connections, args.seconds, args.stagger_s, args.drain_s, args.seed)
    print("JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
