"""The seeded regressions: each module is the corpus base with one mistake a team makes.

Each holds a module-level ``app`` (``--app tests.gate.corpus.regressions.<name>:app``)
and says in its docstring which mistake it reproduces and which gate check must catch
it. :data:`CAUGHT_BY` is that table (docs: /tmp/gate_v2_spec.md's corpus table), read by
the trust test (tests/gate/test_corpus.py) and the smoke test.
"""

from __future__ import annotations

__all__ = ["CAUGHT_BY"]

#: regression module -> the prefix of the check that must fail for it.
CAUGHT_BY: dict[str, str] = {
    "sync_work_per_token": "per_token.",
    "cpu_per_token": "load.cpu_us_per_token",
    "buffers_reply": "buffering.direct",
    "lost_tokens": "integrity.mismatched_streams",
    "no_terminator": "termination.silent_truncations",
    "swallows_error": "faults.error_mid_stream",
    "retry_amplification": "faults.upstream_calls_per_request",
    "memory_growth": "leaks.rss_growth_mb",
    "middleware_breaks_disconnect": "disconnect.",
    "slower_first_token": "ttft.ratio",
    "no_accel_header": "buffering.nginx_gzip",
}
