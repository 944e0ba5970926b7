"""Ground truth: what the mock generated and wrote for every request, and when.

Timestamps are ``time.monotonic_ns()`` (CLOCK_MONOTONIC): a client on the same
Linux host compares them with its own ``perf_counter_ns()`` stamps, which read
the same clock, to count tokens generated after it left.
"""

from __future__ import annotations

import json
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any


@dataclass(slots=True)
class LedgerRecord:
    """One request as the mock saw it. ``None`` means "did not happen"."""

    id: str
    seq: int
    endpoint: str
    stream: bool
    model: str
    arrival_ns: int
    status: int = 200
    tokens_planned: int = 0
    admitted_ns: int | None = None
    headers_ns: int | None = None
    first_token_due_ns: int | None = None
    # An int64 array, not a list: 8 bytes a token instead of ~36, and not a
    # container the cyclic GC has to scan (the ledger holds up to 100k records).
    token_write_ns: array[int] = field(default_factory=lambda: array("q"))
    tokens_generated: int = 0
    tokens_written: int = 0
    disconnected: bool = False
    disconnect_ns: int | None = None
    tokens_after_disconnect: int = 0
    finish_reason: str | None = None  # completed | length | client_disconnected | fault
    fault: str | None = None
    completed_ns: int | None = None
    closed_ns: int | None = None
    max_lateness_ns: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["token_write_ns"] = self.token_write_ns.tolist()
        return out


class Ledger:
    """The last ``size`` records in arrival order, indexed by request id."""

    def __init__(self, size: int, jsonl_path: Path | None = None) -> None:
        self._size = size
        self._records: OrderedDict[int, LedgerRecord] = OrderedDict()
        self._by_id: dict[str, list[LedgerRecord]] = {}
        self._seq = 0
        self._jsonl: IO[str] | None = (
            jsonl_path.open("a", encoding="utf-8") if jsonl_path is not None else None
        )

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, record: LedgerRecord) -> None:
        self._records[record.seq] = record
        self._by_id.setdefault(record.id, []).append(record)
        while len(self._records) > self._size:
            _, old = self._records.popitem(last=False)
            same = self._by_id.get(old.id)
            if same is not None:
                same.remove(old)
                if not same:
                    del self._by_id[old.id]

    def rename(self, record: LedgerRecord, request_id: str) -> None:
        """File ``record`` (already added) under ``request_id`` instead of its arrival id."""
        same = self._by_id.get(record.id)
        if same is not None and record in same:
            same.remove(record)
            if not same:
                del self._by_id[record.id]
        record.id = request_id
        self._by_id.setdefault(request_id, []).append(record)

    def finished(self, record: LedgerRecord) -> None:
        """Persist a finished record to the JSONL file, if one is configured."""
        if self._jsonl is not None:
            self._jsonl.write(json.dumps(record.as_dict(), separators=(",", ":")) + "\n")
            self._jsonl.flush()

    def query(self, request_id: str | None = None, limit: int | None = None) -> list[LedgerRecord]:
        if request_id is not None:
            found = list(self._by_id.get(request_id, ()))
        else:
            found = list(self._records.values())
        return found[-limit:] if limit else found

    def reset(self) -> int:
        count = len(self._records)
        self._records.clear()
        self._by_id.clear()
        return count

    def close(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
            self._jsonl = None
