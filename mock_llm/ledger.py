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

#: Longest generated text a record keeps (``text``); longer ones keep only ``text_chars``.
#: The text is the plan's own string (no copy), kept per request, never touched per
#: token: ~6 bytes a token for the default words, under the 8 of ``token_write_ns``.
#: ``long`` texts (64 KiB a token) would pin megabytes per record, hence the cap.
LEDGER_TEXT_MAX_CHARS = 16_384


@dataclass(slots=True)
class LedgerRecord:
    """One request as the mock saw it. ``None`` means "did not happen".

    Every attempt is its own record: a client retrying request id ``r`` makes records
    ``r`` with ``attempt`` 1, 2, ... (so upstream calls per request = records per id).
    ``text`` is what the plan generates for the whole stream, in order (a fault or a
    disconnect may cut what was written short: ``tokens_written`` says how much was);
    ``None`` when nothing was planned or the text is longer than
    :data:`LEDGER_TEXT_MAX_CHARS` (``text_chars`` always has its length).
    """

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
    attempt: int = 1
    text: str | None = None
    text_chars: int = 0

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
        self._file(record, record.id)
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
        self._file(record, request_id)

    def _file(self, record: LedgerRecord, request_id: str) -> None:
        """Index ``record`` under ``request_id``: its attempt is one more than those kept."""
        record.id = request_id
        same = self._by_id.setdefault(request_id, [])
        record.attempt = len(same) + 1
        same.append(record)

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
