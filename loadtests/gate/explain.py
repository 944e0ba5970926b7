"""For a failing check: what it means for the service's users, and where to look in its code."""

from __future__ import annotations

from .rules import NOT_MEASURED, Check

# Longest prefix first wins; every check name of docs/gate.md has one.
MEANINGS: dict[str, str] = {
    "ttft.ratio": "the service adds time before the first token: look for work before the "
    "upstream call (auth, a database, prompt building, a client created per request)",
    "ttft.p99_ms": "some first tokens come much later than usual: look for contention "
    "(a lock, a small connection pool, a blocking call that only bites sometimes)",
    "blocking.healthz_p99_ms": "the event loop stops answering while streams run: look for "
    "a synchronous client, time.sleep or file I/O in async code",
    "blocking.ttft_spread_ms": "concurrent streams start one after another: look for a "
    "global lock or a synchronous upstream client serializing requests",
    "disconnect.": "the service keeps the upstream generation going after the user left "
    "(tokens paid for nobody): look for a middleware wrapping the streaming body, or a "
    "generator that does not close the upstream stream when it is cancelled",
    "buffering.direct": "the reply arrives in one piece, not token by token: look for the "
    "whole reply collected before it is returned (a list, a non-streaming response)",
    "buffering.": "a proxy in front buffers the stream: send `X-Accel-Buffering: no` and do "
    "not compress text/event-stream",
    "per_token.single.": "the service adds time between tokens: look for blocking or "
    "CPU-heavy work per chunk",
    "per_token.concurrent.": "the service adds time between tokens under load: look for "
    "blocking or CPU-heavy work per chunk",
    "load.ttft_p50_ratio": "first tokens slow down when many streams run: look for a "
    "connection-pool limit, a lock, or CPU saturation",
    "load.tokens_per_s_ratio": "the service relays fewer tokens per second than the "
    "upstream sends under load: look for per-chunk CPU work or a pool limit",
    "load.cpu_us_per_token": "the service burns more CPU per relayed token: look for "
    "per-chunk re-encoding, JSON re-parsing, regexes or logging",
    "integrity.mismatched_streams": "streams do not carry what the upstream generated: "
    "look for dropped, duplicated or reordered chunks, and bytes decoded per chunk "
    "(multi-byte UTF-8 split across chunks)",
    "termination.silent_truncations": "streams end without their terminator ([DONE]) or an "
    "error event, so a client cannot tell a complete reply from a cut one: look at how the "
    "stream ends, normally and on errors",
    "faults.rate_limited_429": "an upstream 429 does not reach the client as a status, an "
    "error event or a retried success: look at the rate-limit handling",
    "faults.status_500": "an upstream 500 does not reach the client as a status or an error "
    "event: look at the upstream error handling before the first token",
    "faults.error_mid_stream": "an upstream error mid-stream ends the reply silently: catch "
    "it around the stream and send an error event before closing",
    "faults.dropped_connection": "a dropped upstream connection is not reported to the "
    "client: catch the transport error and send an error event",
    "faults.stall_past_timeout": "a stalled upstream hangs the client: set a read timeout on "
    "the upstream client and send an error event when it fires",
    "faults.upstream_calls_per_request": "the service makes more upstream calls per request "
    "than at baseline: look for retries stacked on the SDK's own (retry amplification)",
    "leaks.rss_growth_mb": "memory grows with every request: look for module-level lists, "
    "caches or histories that keep replies or requests",
    "leaks.open_connections_growth": "open connections pile up with requests: look for "
    "clients or streams created per request and never closed",
    "leaks.upstream_open_after_clients_left": "upstream streams stay open after every "
    "client left: look for upstream streams not closed when the client disconnects",
}


def meaning(name: str) -> str:
    """``per_token.concurrent.itl_p95_ratio`` -> what it means and where to look."""
    for prefix in sorted(MEANINGS, key=len, reverse=True):
        if name.startswith(prefix):
            return MEANINGS[prefix]
    return "see docs/gate.md"


def line(check: Check) -> str:
    """One line for a failing check: its name, what it means, the evidence."""
    if check.bound == NOT_MEASURED:
        return (
            f"{check.name}: measured at baseline but not now: the measurement behind it "
            "failed (the service's streams broke, or the scenario could not run)"
        )
    text = f"{check.name}: {meaning(check.name)}"
    return f"{text} ({check.why})" if check.why else text
