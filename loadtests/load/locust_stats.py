"""Parse what Locust writes: ``--json-file`` entries and ``--csv-full-history`` rows.

Pure functions over file text; nothing here imports locust.

- ``<prefix>.json`` (``--json-file``) is complete: one object per row (``name``,
  ``method``, ``num_requests``, ``num_failures``, ``response_times`` as a histogram of
  rounded times, ...). Locust rounds times into buckets (1 ms under 100 ms, 10 ms to
  1 s, 100 ms to 10 s); :func:`locust_percentile` reproduces Locust's percentile over
  that histogram, so numbers here match its report.
- ``<prefix>_stats_history.csv`` (``--csv-full-history``) gets one row per request
  name every second. Its percentile columns are Locust's *current* percentiles: a
  sliding window of about 10 s. They read ``0`` (not ``N/A``) when the window holds no
  request, so a caller must check the window's request count before trusting them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "HistoryRow",
    "LocustEntry",
    "locust_percentile",
    "parse_history_csv",
    "parse_stats_json",
]


def locust_percentile(histogram: Mapping[float, int], q: float) -> float | None:
    """Locust's percentile (``q`` in 0..1) of a ``{rounded time: count}`` histogram.

    Walking the buckets from the largest down, the first bucket at which no more than
    ``int(n * q)`` requests are left below it (``locust.stats``'s
    ``calculate_response_time_percentile``). ``{10: 1, 20: 1, 30: 1, 40: 1}``:
    p50 = 30, p95 = 40, p0 = 10. ``None`` for an empty histogram.
    """
    n = sum(histogram.values())
    if n == 0:
        return None
    at_or_below = int(n * q)
    seen = 0
    for value in sorted(histogram, reverse=True):
        seen += histogram[value]
        if n - seen <= at_or_below:
            return float(value)
    return float(min(histogram))


@dataclass(frozen=True, slots=True)
class LocustEntry:
    """One row of Locust's ``--json-file`` (times in ms, as Locust logged them)."""

    method: str
    name: str
    num_requests: int
    num_failures: int
    total_ms: float
    min_ms: float | None
    max_ms: float
    total_content_length: int
    histogram: dict[float, int]

    @property
    def avg_ms(self) -> float | None:
        return self.total_ms / self.num_requests if self.num_requests else None

    def percentile(self, q: float) -> float | None:
        """Locust's percentile over the rounded histogram; ``q`` in 0..1."""
        return locust_percentile(self.histogram, q)


def parse_stats_json(text: str) -> dict[tuple[str, str], LocustEntry]:
    """``{(method, name): entry}`` from the text of Locust's ``--json-file`` output."""
    out: dict[tuple[str, str], LocustEntry] = {}
    for row in json.loads(text):
        entry = LocustEntry(
            method=row["method"] or "",
            name=row["name"],
            num_requests=int(row["num_requests"]),
            num_failures=int(row["num_failures"]),
            total_ms=float(row["total_response_time"]),
            min_ms=None if row["min_response_time"] is None else float(row["min_response_time"]),
            max_ms=float(row["max_response_time"]),
            total_content_length=int(row["total_content_length"]),
            histogram={float(k): int(v) for k, v in row["response_times"].items()},
        )
        out[(entry.method, entry.name)] = entry
    return out


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One row of ``_stats_history.csv``; percentiles are of the ~10 s window before it."""

    timestamp_s: int
    user_count: int
    method: str
    name: str
    requests_per_s: float
    percentiles_ms: dict[str, float | None]
    total_requests: int
    total_failures: int
    total_avg_content: float

    @property
    def total_content(self) -> float:
        """Content length summed over the whole run so far (Locust keeps the average)."""
        return self.total_requests * self.total_avg_content

    def percentile(self, label: str) -> float | None:
        """A window percentile by its column label (``"95%"``); ``None`` if absent."""
        return self.percentiles_ms.get(label)


def _number(text: str) -> float | None:
    if text in ("", "N/A"):
        return None
    value = float(text)
    return None if math.isnan(value) else value


def parse_history_csv(text: str) -> list[HistoryRow]:
    """Every row of ``_stats_history.csv`` in file order (the ``Aggregated`` rows too)."""
    reader = csv.DictReader(io.StringIO(text))
    labels = [f for f in reader.fieldnames or [] if f.endswith("%")]
    rows: list[HistoryRow] = []
    for raw in reader:
        if None in raw.values() or not raw["Timestamp"]:
            continue  # a torn last line, read while Locust was still writing
        rows.append(
            HistoryRow(
                timestamp_s=int(raw["Timestamp"]),
                user_count=int(raw["User Count"]),
                method=raw["Type"],
                name=raw["Name"],
                requests_per_s=_number(raw["Requests/s"]) or 0.0,
                percentiles_ms={label: _number(raw[label]) for label in labels},
                total_requests=int(raw["Total Request Count"]),
                total_failures=int(raw["Total Failure Count"]),
                total_avg_content=_number(raw["Total Average Content Size"]) or 0.0,
            )
        )
    return rows
