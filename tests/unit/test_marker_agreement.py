"""The harness's marker writer and the mock's parser agree, key by key.

The two sides meet only in the prompt text (services forward the prompt, not our
headers), so each is written in its own package; this keeps them one grammar.
"""

from __future__ import annotations

import pytest

from loadtests.client.marker import Shaping, format_marker, marked_prompt
from mock_llm.marker import find_marker

SHAPINGS = [
    Shaping(),
    Shaping(ttft_ms=50.0, itl_ms=10.0, tokens=60),
    Shaping(ttft_ms=0.5, itl_ms=2.25, tokens=1, seed=7, text_mode="echo"),
    Shaping(fault="drop", fault_at=3),
    Shaping(fault="status", fault_status=429, fault_retry_after=1, fault_times=1),
    Shaping(fault="stall", fault_at=2, fault_seconds=1.5),
]


@pytest.mark.parametrize("shaping", SHAPINGS)
def test_every_shaping_the_harness_writes_the_mock_reads_back(shaping: Shaping) -> None:
    prompt = marked_prompt("Tell me [sg:spoofed-1] about SSE.", "run.ab12:ttft-3", shaping)
    marker = find_marker(prompt).marker
    assert marker is not None
    assert marker.request_id == "run.ab12:ttft-3"
    overrides = marker.overrides
    assert overrides.ttft_ms == shaping.ttft_ms
    assert overrides.itl_ms == shaping.itl_ms
    assert overrides.tokens == shaping.tokens
    assert overrides.seed == shaping.seed
    assert overrides.text_mode == shaping.text_mode
    if shaping.fault is None:
        assert overrides.fault is None
    else:
        assert overrides.fault is not None
        assert overrides.fault.kind == shaping.fault
        for name in ("at", "status", "retry_after", "seconds", "times"):
            sent = getattr(shaping, f"fault_{name}")
            if sent is not None:
                assert getattr(overrides.fault, name) == sent


def test_the_marker_is_the_last_text_of_the_prompt() -> None:
    prompt = marked_prompt("hello", "r-1")
    assert prompt == "hello " + format_marker("r-1")
    marker = find_marker(prompt).marker
    assert marker is not None
    assert prompt[marker.start :] == "[sg:r-1]"
