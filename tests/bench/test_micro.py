"""Micro-benchmarks (pytest-benchmark), opt-in: ``make bench-micro``.

Stored baselines live in ``results/baselines/pytest-benchmark/``; ``make
bench-compare`` fails when a mean regresses by more than the allowed share.
Each benchmark asserts its output too, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import json
import random

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from loadtests.client.sse import SSEParser
from loadtests.metrics import itl_ns, percentile, summarize, ttft_ns
from mock_llm.engine.vocabulary import Vocabulary
from mock_llm.http.wire import ChunkEncoder, http_chunk
from service.sse import token_event

pytestmark = pytest.mark.bench

EVENTS = 10_000


def _openai_stream() -> bytes:
    enc = ChunkEncoder(
        endpoint="chat", completion_id="chatcmpl-b", created=1, model="m", include_usage=False
    )
    vocab = Vocabulary()
    words = Vocabulary.draw(random.Random(0), EVENTS, "hard")
    return enc.role() + b"".join(enc.content(vocab.encoded(w)) for w in words) + b"data: [DONE]\n\n"


def test_sse_parser_throughput(benchmark: BenchmarkFixture) -> None:
    """Events/s = EVENTS / mean; reads of 4 KiB, as a socket hands them over."""
    stream = _openai_stream()
    reads = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]

    def parse() -> int:
        parser = SSEParser()
        return sum(len(parser.feed(r)) for r in reads)

    assert benchmark(parse) == EVENTS + 2
    benchmark.extra_info["events"] = EVENTS + 2


def test_metrics_over_100k_records(benchmark: BenchmarkFixture) -> None:
    """TTFT, ITL and a summary for 100k requests of 10 token arrivals each."""
    rng = random.Random(1)
    records = []
    for _ in range(100_000):
        start = rng.randrange(10**9)
        first = start + rng.randrange(10**6, 10**8)
        records.append((start, [first + k * 10_000_000 for k in range(10)]))

    def compute() -> float | None:
        ttfts = [ttft_ns(s, a[0]) or 0 for s, a in records]
        gaps = [g for _, a in records for g in itl_ns(a)]
        summarize(ttfts)
        return percentile(gaps, 50)

    assert benchmark(compute) == 10_000_000


def test_mock_chunk_encoding(benchmark: BenchmarkFixture) -> None:
    """The mock's per-token write path: prefix + token literal + suffix, HTTP chunk framing."""
    enc = ChunkEncoder(
        endpoint="chat", completion_id="chatcmpl-b", created=1, model="m", include_usage=False
    )
    vocab = Vocabulary()
    _, literals = vocab.words(2, EVENTS)

    def encode() -> int:
        return sum(len(http_chunk(enc.content(lit))) for lit in literals)

    assert benchmark(encode) > EVENTS * 100
    sample = enc.content(literals[0])
    assert json.loads(sample[6:-2])["choices"][0]["delta"]["content"]


def test_service_token_event(benchmark: BenchmarkFixture) -> None:
    """The service's per-token framing: one JSON-wrapped SSE event per token."""
    words = Vocabulary.draw(random.Random(3), EVENTS, "hard")

    def frame() -> int:
        return sum(len(token_event(w)) for w in words)

    assert benchmark(frame) > EVENTS * 10
    assert json.loads(token_event("a\n\nb")[6:-2]) == {"token": "a\n\nb"}
