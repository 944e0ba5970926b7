"""Parsing Locust's JSON and history CSV; Locust's own percentile over its histogram."""

from __future__ import annotations

import json

from loadtests.load.locust_stats import locust_percentile, parse_history_csv, parse_stats_json

HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
    "99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size"
)


def test_locust_percentile_walks_buckets_from_the_top() -> None:
    """{10, 20, 30, 40} one each: p50 30 (Locust's rule, not interpolation), p95 40, p0 10."""
    histogram = {10.0: 1, 20.0: 1, 30.0: 1, 40.0: 1}
    assert locust_percentile(histogram, 0.5) == 30
    assert locust_percentile(histogram, 0.95) == 40
    assert locust_percentile(histogram, 0.0) == 10
    assert locust_percentile({1.0: 3, 2.0: 5, 7.0: 2, 100.0: 1}, 0.9) == 7
    assert locust_percentile({}, 0.5) is None


def test_stats_json_rows_by_method_and_name() -> None:
    text = json.dumps(
        [
            {
                "name": "TTFT", "method": "SSE", "num_requests": 4, "num_none_requests": 0,
                "num_failures": 1, "total_response_time": 100.0, "max_response_time": 40.2,
                "min_response_time": 9.8, "total_content_length": 0,
                "response_times": {"10": 1, "20": 1, "30": 1, "40": 1},
            }
        ]
    )  # fmt: skip
    entry = parse_stats_json(text)[("SSE", "TTFT")]
    assert entry.num_failures == 1
    assert entry.avg_ms == 25.0
    assert entry.min_ms == 9.8
    assert entry.percentile(0.5) == 30


def test_history_rows_parse_na_and_skip_a_torn_last_line() -> None:
    text = "\n".join(
        [
            HEADER,
            "100,0,,Aggregated,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0",
            "101,5,SSE,tokens,2.0,0.0,20,20,20,20,20,20,20,20,20,20,20,4,0,20,20.0,20,20,20.0",
            "102,5,SSE,TT",
        ]
    )
    rows = parse_history_csv(text)
    assert len(rows) == 2
    assert rows[0].percentile("95%") is None
    tokens = rows[1]
    assert (tokens.timestamp_s, tokens.user_count, tokens.method, tokens.name) == (
        101, 5, "SSE", "tokens",
    )  # fmt: skip
    assert tokens.percentile("95%") == 20
    assert tokens.total_content == 80.0  # 4 streams x 20 tokens
