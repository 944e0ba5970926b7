"""``streamgauge run`` on services written the way teams write them, unmodified.

Each service (tests/user_services/) is measured through ``--app`` and through
``--target``; the judgements must name what is wrong with it, and the exit code says
whether something was (1) or could not be measured (2).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.commands.target_runs import MODES, run_against

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("mode", MODES)
def test_seed001_style_blocks_serializes_and_leaks(mode: str, tmp_path: Path) -> None:
    """Sync OpenAI client in async def, text/plain: every mistake it makes is found."""
    run = run_against(
        mode,
        "tests.user_services.seed001_style:app",
        tmp_path,
        "--scenarios",
        "ttft,blocking,disconnect",
        "--request-shape",
        "messages",
    )
    assert run.returncode == 1, run.output
    ttft = run.numbers("ttft")["target"]
    # TTFT measured from the text/plain body: a number, read from the reads.
    assert ttft["errors"] == 0, run.output
    assert ttft["ttft_ms"]["p50"] is not None
    assert run.word("ttft") == "slow"  # five streams served one after another
    assert run.word("blocking") == "blocks", run.detail("blocking")
    probe = run.numbers("blocking")["target"]["probe"]["latency_ms"]
    assert probe["p99"] > 250, probe
    assert run.word("disconnect") == "leaks", run.detail("disconnect")
    after = sum(n["tokens_after_leaving_total"] for n in run.numbers("disconnect").values())
    assert after > 0
    assert "burst not run: the service serializes streams" in run.output


@pytest.mark.parametrize("mode", MODES)
def test_seed000_style_disconnect_is_measured_per_mode(mode: str, tmp_path: Path) -> None:
    """AsyncOpenAI + is_disconnected(), no header forwarding: the marker correlates."""
    run = run_against(
        mode, "tests.user_services.seed000_style:app", tmp_path, "--scenarios", "disconnect"
    )
    assert run.word("disconnect") in {"ok", "leaks"}, run.detail("disconnect")
    numbers = run.numbers("disconnect")
    assert set(numbers) == {"target/close_after", "target/stop_reading", "target/burst"}
    for subject, n in numbers.items():
        assert n["users_never_sent_upstream"] == 0, subject
        assert n["users"] >= 1, subject
        assert n["tokens_after_leaving_total"] is not None
    assert numbers["target/burst"]["users"] == 100


@pytest.mark.parametrize("mode", MODES)
def test_ndjson_endpoint_streams_tokens(mode: str, tmp_path: Path) -> None:
    """Ollama-style /api/chat: auto decides ndjson from the response and says so."""
    run = run_against(
        mode,
        "tests.user_services.ndjson_service:app",
        tmp_path,
        "--scenarios",
        "ttft",
        "--request-shape",
        "messages",
        path="/api/chat",
    )
    assert run.returncode == 0, run.output
    assert run.word("ttft") == "ok", run.detail("ttft")
    assert run.numbers("ttft")["target"]["ttft_ms"]["p50"] is not None


def test_a_service_that_forwards_neither_prompt_nor_id_is_said_so(tmp_path: Path) -> None:
    """seed001 called with {"prompt"}: it reads messages, defaults to its own prompt."""
    run = run_against(
        "app",
        "tests.user_services.seed001_style:app",
        tmp_path,
        "--scenarios",
        "blocking,disconnect",
    )
    assert run.word("disconnect") == "not measurable"
    assert "the mock saw none of this run's requests" in run.detail("disconnect")
    assert "Tokens generated upstream after users left" not in run.output  # no 0 claimed
    assert run.word("blocking") == "blocks"  # what it could measure, it did
    assert run.returncode == 1, run.output
