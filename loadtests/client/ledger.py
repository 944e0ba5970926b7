"""Reading mock_llm's ground-truth ledger, and what it says about one client.

The ledger's times are ``time.monotonic_ns()`` in the mock's process; ours are
``perf_counter_ns()``. On Linux both read CLOCK_MONOTONIC, so they compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


def fetch_records(mock_url: str, request_id: str | None = None) -> list[dict[str, Any]]:
    params = {"id": request_id} if request_id is not None else {}
    response = httpx.get(f"{mock_url}/mock/requests", params=params, timeout=10)
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()["requests"]
    return records


def reset(mock_url: str) -> None:
    httpx.delete(f"{mock_url}/mock/requests", timeout=10).raise_for_status()


@dataclass(frozen=True)
class AfterLeaving:
    """Upstream truth for one end user who left at ``client_closed_ns``."""

    request_id: str
    tokens_planned: int
    tokens_before_leaving: int
    tokens_after_leaving: int  # generated (written upstream) after the user left
    upstream_closed_after_ms: float | None  # user left -> upstream connection closed
    finish_reason: str | None

    @property
    def savings(self) -> float | None:
        """Share of the not-yet-generated tokens that were never generated (1.0 = all saved)."""
        remaining = self.tokens_planned - self.tokens_before_leaving
        if remaining <= 0:
            return None
        return 1.0 - self.tokens_after_leaving / remaining


def after_leaving(record: dict[str, Any], client_closed_ns: int) -> AfterLeaving:
    """Pure: count ledger token writes after the client's close time.

    ``token_write_ns=[10, 20, 30, 40]``, closed at 25 -> 2 before, 2 after.
    In ``continue`` mode tokens generated but not written (upstream client
    gone) also count: ``tokens_generated - tokens_written`` more.
    """
    writes: list[int] = record["token_write_ns"]
    before = sum(1 for t in writes if t <= client_closed_ns)
    after = len(writes) - before + (record["tokens_generated"] - record["tokens_written"])
    # The mock sees the upstream client leave as a disconnect; a stream relayed
    # to the end has no disconnect, so its end is when generation completed.
    upstream_end = (
        record.get("disconnect_ns") or record.get("closed_ns") or record.get("completed_ns")
    )
    closed_after = None if upstream_end is None else (upstream_end - client_closed_ns) / 1e6
    return AfterLeaving(
        request_id=record["id"],
        tokens_planned=record["tokens_planned"],
        tokens_before_leaving=before,
        tokens_after_leaving=after,
        upstream_closed_after_ms=closed_after,
        finish_reason=record.get("finish_reason"),
    )
