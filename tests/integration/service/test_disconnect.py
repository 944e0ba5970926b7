"""Disconnect savings: tokens the upstream generated after the end user left.

Counted from the mock's ledger (``token_write_ns``, CLOCK_MONOTONIC) against the
client's own close time (``perf_counter_ns``, same clock), per request id. The
mock runs in ``abort`` mode: it stops as soon as the service closes the upstream
connection, so every token written after the close is one the service failed
to stop.

Modes: (1) close after k events; (2) stop reading until the service is blocked
in ``send()``, then close; (3) 100 clients close at once.

Every guarantee is checked on both references: ``reference`` (the SDK's own
stack) and ``reference_fast`` (own parser, lean transport).

Where the leak lives (docs/pitfalls/seed_recipe.md): Starlette
cancels the response when the client leaves; the recipe leaks when that cancel
lands in ``send()`` and leaves the generator parked at ``yield``. With bare
uvicorn under ``send()`` it never does: uvicorn's ``connection_lost`` wakes the
blocked write in the same callback that reports the disconnect, anyio does not
cancel a task whose waiter is already done, and the cancel lands in the next
upstream read, where the SDK closes the stream itself. Any await of the send
path's own (a middleware doing async work per chunk; here ``--send-delay-ms``)
puts the cancel in ``send()``: mode 2 is run on both stacks.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from loadtests.systems.processes import ServerProcess
from tests.integration.service.service_support import (
    RawStream,
    Servers,
    ServiceFor,
    ledger_by_id,
    metric_value,
    tokens_after,
    wait_closed,
    wait_finished,
)

pytestmark = pytest.mark.timeout(120)

CLOSE_WITHIN_NS = 100_000_000
RELAYED = "streamgauge_service_tokens_relayed_total"
# Mode 2: tokens of ~100 KB (the mock echoes the prompt's words) so a few dozen
# fill the kernel buffers (~3 MB on loopback) and the transport's, and the
# service's send() really blocks on a client that stopped reading.
BIG_PROMPT = " ".join(f"w{i}" + "x" * 100_000 for i in range(5))
MODE2_HEADERS = {"X-Mock-Tokens": "60", "X-Mock-Itl-Ms": "50", "X-Mock-Text-Mode": "echo"}
LIMITS = ("--max-prompt-chars", "1000000", "--max-body-bytes", "1000000")
# An await of the send path's own, after each chunk (SendDelayMiddleware).
SEND_PATH_AWAITS = ("--send-delay-ms", "5")

REFERENCES = ("reference", "reference_fast")


@pytest.fixture(scope="module")
def mock(servers: Servers) -> ServerProcess:
    return servers.mock("--on-disconnect", "abort", "--ttft-ms", "20")


@pytest.fixture(scope="module")
def service(service_for: ServiceFor) -> ServiceFor:
    """``service_for`` with the prompt limits mode 2's big prompt needs."""
    return lambda variant, *flags: service_for(variant, *LIMITS, *flags)


def _report(label: str, record: dict[str, Any], close_ns: int) -> int:
    after = tokens_after(record, close_ns)
    closed = record["closed_ns"]
    closed_txt = f"+{(closed - close_ns) / 1e6:.1f} ms" if closed else "still open"
    print(f"{label}: {after} of {record['tokens_planned']} tokens generated after the close; "
          f"finish {record['finish_reason']}; upstream connection {closed_txt}")  # fmt: skip
    return after


async def _assert_stopped_at_once(mock: ServerProcess, raw: RawStream, label: str) -> None:
    """<= 1 token after the close and the upstream connection closed within 100 ms."""
    assert raw.closed_ns is not None
    record = await wait_closed(mock.url, raw.request_id)
    after = _report(label, record, raw.closed_ns)
    assert record["finish_reason"] == "client_disconnected"
    assert after <= 1
    assert record["closed_ns"] - raw.closed_ns < CLOSE_WITHIN_NS


async def _assert_leaked(mock: ServerProcess, raw: RawStream, label: str) -> None:
    """The upstream generated everything it planned, the rest of it after the client left."""
    assert raw.closed_ns is not None
    record = await wait_finished(mock.url, raw.request_id, timeout_s=15)
    after = _report(label, record, raw.closed_ns)
    before = record["tokens_written"] - after
    assert record["finish_reason"] == "completed"
    assert after >= 10
    assert after >= 0.9 * (record["tokens_planned"] - before)


# mode 1


@pytest.mark.parametrize(
    ("variant", "leaks"),
    [
        ("reference", False),
        ("reference_fast", False),
        # Pinned (docs/behaviours.md#client-disconnect): the recipe and the
        # half-closing variant pass this mode; the cancel lands in the SDK's
        # read and its own finally closes the stream.
        ("seed_recipe", False),
        ("break_without_close", False),
        ("sync_client_in_async", True),
        ("sync_generator", True),
    ],
)
async def test_mode1_close_after_k_events(
    service: ServiceFor, mock: ServerProcess, variant: str, leaks: bool
) -> None:
    started = service(variant)
    headers = {"X-Mock-Tokens": "40", "X-Mock-Itl-Ms": "20"}
    raw = await RawStream.open(started.url, {"prompt": "hi"}, headers=headers)
    await raw.read_until_events(3)
    raw.close()
    label = f"{variant} mode 1"
    if leaks:
        await _assert_leaked(mock, raw, label)
    else:
        await _assert_stopped_at_once(mock, raw, label)


# mode 2


async def _wait_send_blocked(service_url: str, timeout_s: float = 8.0) -> float:
    """Until the service's relayed-token count stops moving: it is parked in send()."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last, still = -1.0, 0
    while loop.time() < deadline:
        value = await metric_value(service_url, RELAYED)
        still = still + 1 if value == last and value > 0 else 0
        if still >= 3:
            return value
        last = value
        await asyncio.sleep(0.1)
    raise AssertionError("the service never blocked in send()")


async def _stop_reading_then_close(service: ServerProcess) -> RawStream:
    raw = await RawStream.open(
        service.url, {"prompt": BIG_PROMPT}, headers=MODE2_HEADERS, rcvbuf=4096
    )
    await raw.read_head()
    await _wait_send_blocked(service.url)
    raw.close()
    return raw


@pytest.mark.parametrize(
    ("variant", "stack", "leaks"),
    [
        ("reference", "uvicorn", False),
        ("reference", "send-path-awaits", False),
        ("reference_fast", "uvicorn", False),
        ("reference_fast", "send-path-awaits", False),
        ("seed_recipe", "send-path-awaits", True),
        ("break_without_close", "send-path-awaits", True),
        # Pinned observation, not a virtue: see the module docstring.
        ("seed_recipe", "uvicorn", False),
    ],
)
async def test_mode2_stop_reading_then_close(
    service: ServiceFor, mock: ServerProcess, variant: str, stack: str, leaks: bool
) -> None:
    flags = SEND_PATH_AWAITS if stack == "send-path-awaits" else ()
    raw = await _stop_reading_then_close(service(variant, *flags))
    label = f"{variant} mode 2 ({stack})"
    if leaks:
        await _assert_leaked(mock, raw, label)
    else:
        await _assert_stopped_at_once(mock, raw, label)


# mode 3


async def _burst_of_leavers(
    service: ServerProcess, mock: ServerProcess
) -> tuple[list[int], list[float]]:
    """100 streams; each client reads 2 events; all close at once. Returns per-request
    (tokens after the close, upstream closed ms after the close)."""
    # Jittered ITL: 100 streams started together would otherwise tick in
    # lockstep, and a client that closes right after an event would always
    # close while the service relays the next lockstep burst of 100 chunks.
    headers = {
        "X-Mock-Tokens": "40",
        "X-Mock-Itl-Ms": "150",
        "X-Mock-Itl-Distribution": "normal",
        "X-Mock-Itl-Jitter-Ms": "40",
    }
    raws = await asyncio.gather(
        *(RawStream.open(service.url, {"prompt": "hi"}, headers=headers) for _ in range(100))
    )
    await asyncio.gather(*(r.read_until_events(2, timeout_s=20) for r in raws))
    closes = [r.close() for r in raws]
    # One ledger query after the dust settles: polling 100 ids while the
    # service handles the burst would compete with it for the two cores.
    await asyncio.sleep(1.0)
    by_id = await ledger_by_id(mock.url)
    records = [by_id[r.request_id] for r in raws]
    assert all(rec["finish_reason"] == "client_disconnected" for rec in records), records
    after = [tokens_after(rec, c) for rec, c in zip(records, closes, strict=True)]
    closed_ms = [(rec["closed_ns"] - c) / 1e6 for rec, c in zip(records, closes, strict=True)]
    return after, closed_ms


@pytest.mark.parametrize("variant", REFERENCES)
async def test_mode3_hundred_clients_leave_at_once(
    service: ServiceFor, mock: ServerProcess, variant: str
) -> None:
    """<= 1 token each and every upstream closed within 100 ms, in the best of 3 bursts.

    The leak check holds on every burst (a leak is tens of tokens). The 100 ms
    bound is wall time for 100 closes on two cores shared with the mock, this
    client and whatever else runs: a scheduler pause shifts all 100 together,
    so a burst may be repeated; all attempts are printed.
    """
    started = service(variant)
    attempts: list[str] = []
    for _ in range(3):
        after, closed_ms = await _burst_of_leavers(started, mock)
        assert max(after) <= 5, f"leak: {after}"
        closed_ms.sort()
        attempts.append(
            f"tokens after close max {max(after)} total {sum(after)}, upstream "
            f"closed p50 {closed_ms[50]:.1f} ms max {closed_ms[-1]:.1f} ms"
        )
        print(f"{variant} mode 3: {attempts[-1]}")
        if max(after) <= 1 and closed_ms[-1] < CLOSE_WITHIN_NS / 1e6:
            return
        await asyncio.sleep(0.5)
    pytest.fail("no burst met <= 1 token and 100 ms: " + "; ".join(attempts))


@pytest.mark.parametrize("variant", REFERENCES)
async def test_client_leaves_before_first_token(
    service: ServiceFor, mock: ServerProcess, variant: str
) -> None:
    """A client that gives up during a long TTFT stops the upstream at once, too."""
    started = service(variant)
    headers = {"X-Mock-Ttft-Ms": "3000", "X-Mock-Tokens": "5"}
    raw = await RawStream.open(started.url, {"prompt": "hi"}, headers=headers)
    await asyncio.sleep(0.3)
    close_ns = raw.close()
    record = await wait_closed(mock.url, raw.request_id)
    closed_ms = (record["closed_ns"] - close_ns) / 1e6
    print(f"{variant}, left during TTFT: upstream closed +{closed_ms:.1f} ms")
    assert record["tokens_generated"] == 0
    assert record["closed_ns"] - close_ns < CLOSE_WITHIN_NS
