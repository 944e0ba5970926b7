"""Open-loop /healthz prober: ``python healthz_prober.py URL RATE_HZ DURATION_S``.

Runs in its own process (a prober inside the load generator measures its own
loop, FACTS.md). Probe i is due at ``t0 + i / rate`` whether or not earlier
probes answered; its latency is ``answer complete - due time``, so a server
that stalls shows the full wait. Prints ``READY``, then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def _probe(host: str, port: int, due_ns: int) -> float:
    delay = (due_ns - time.perf_counter_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /healthz HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode())
    await reader.read()  # until the server closes: the whole answer
    done = time.perf_counter_ns()
    writer.close()
    return (done - due_ns) / 1e6


async def main(url: str, rate_hz: float, duration_s: float) -> None:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    count = int(rate_hz * duration_s)
    print("READY", flush=True)
    t0 = time.perf_counter_ns() + 20_000_000
    period_ns = round(1e9 / rate_hz)
    tasks = [asyncio.create_task(_probe(host, int(port), t0 + i * period_ns)) for i in range(count)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [r for r in results if isinstance(r, float)]
    print(json.dumps({"latencies_ms": latencies, "errors": count - len(latencies)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3])))
