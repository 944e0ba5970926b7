"""How the mock_llm process runs: what /mock/stats says about its own machinery."""

from __future__ import annotations

import re

import httpx

from mock_llm.engine.chunk_writer import WRITE_PATH


def test_the_cyclic_gc_is_off_unless_asked_for(start_mock) -> None:  # type: ignore[no-untyped-def]
    """Off by default (no cycles to find, and a full pass over a full ledger took ~50 ms)."""
    default = start_mock()
    asked = start_mock("--cyclic-gc", "true")
    assert httpx.get(f"{default.url}/mock/stats").json()["cyclic_gc"] is False
    assert httpx.get(f"{asked.url}/mock/stats").json()["cyclic_gc"] is True


def streamed_bytes(url: str) -> bytes:
    body = {
        "model": "mock-gpt",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "mock": {"ttft_ms": 1, "itl_ms": 1, "tokens": 40, "text_mode": "hard", "seed": 7},
    }
    with httpx.stream(
        "POST", f"{url}/v1/chat/completions", json=body, headers={"x-request-id": "same"}
    ) as r:
        return re.sub(rb'"created":\d+', b'"created":0', r.read())


def test_the_python_write_path_streams_the_same_bytes(start_mock) -> None:  # type: ignore[no-untyped-def]
    """MOCK_LLM_PURE_PYTHON=1 picks the Python write path; a seeded stream is byte-identical."""
    compiled = start_mock()
    python = start_mock(env={"MOCK_LLM_PURE_PYTHON": "1"})
    assert httpx.get(f"{python.url}/mock/stats").json()["write_path"] == "python"
    same = streamed_bytes(python.url)
    assert same.count(b"\n\ndata: ") + 1 == 1 + 40 + 3  # role, 40 tokens, finish, usage, [DONE]
    assert streamed_bytes(compiled.url) == same
    # The other server runs whatever this install has (the C path where it was built).
    assert httpx.get(f"{compiled.url}/mock/stats").json()["write_path"] == WRITE_PATH


def test_the_slot_width_is_a_setting_and_reported(start_mock) -> None:  # type: ignore[no-untyped-def]
    default = start_mock()
    wide = start_mock("--tick-us", "2000")
    assert httpx.get(f"{default.url}/mock/stats").json()["tick_us"] == 500
    assert httpx.get(f"{wide.url}/mock/stats").json()["tick_us"] == 2000
