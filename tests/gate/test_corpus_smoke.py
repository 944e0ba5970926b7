"""Every corpus module imports and serves one stream, started the way the gate starts it.

The default suite's guard for the regression corpus (the trust test itself,
tests/gate/test_corpus.py, is opt-in and takes an hour or more): each module's ``app``
runs under ``loadtests.systems.app_runner`` (what ``--app`` runs) in front of one real
mock_llm, found through ``OPENAI_BASE_URL`` alone. The mock echoes the prompt, one token
per word, so the relayed text must be the prompt; the mistakes that show on a single
stream are asserted too (no ``[DONE]``, no ``X-Accel-Buffering``, the 10th token lost),
so a module that stops reproducing them turns this red.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtests.systems.environment import app_env
from loadtests.systems.processes import ServerProcess, python_module, start_server, start_servers
from tests.gate.corpus.regressions import CAUGHT_BY

pytestmark = pytest.mark.timeout(90)

REPO = Path(__file__).resolve().parents[2]
MODULES = {
    "service": "tests.gate.corpus.service",
    **{name: f"tests.gate.corpus.regressions.{name}" for name in CAUGHT_BY},
}
PROMPT = "the quick brown fox jumps over the lazy dog and runs away"
WORDS = PROMPT.split(" ")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    tokens: list[str]
    others: list[str]  # data payloads that are not token objects, in order
    upstream: list[dict[str, Any]]  # the mock's ledger records for this request id


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("corpus-mock") / "mock.log"
    server = start_server(
        python_module(
            "mock_llm", "--port", "0", "--text-mode", "echo", "--ttft-ms", "5", "--itl-ms", "2"
        ),
        log_path=str(log),
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def apps(mock: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every corpus app at once (their imports overlap): name -> base URL."""
    logs = tmp_path_factory.mktemp("corpus-apps")
    argvs = [
        python_module("loadtests.systems.app_runner", f"{module}:app", "--app-dir", str(REPO))
        for module in MODULES.values()
    ]
    servers = start_servers(
        argvs,
        log_paths=[str(logs / f"{name}.log") for name in MODULES],
        env=app_env(mock.url, {}),
        timeout_s=60,
    )
    try:
        yield {name: server.url for name, server in zip(MODULES, servers, strict=True)}
    finally:
        for server in servers:
            server.stop()


def _parse(body: str) -> tuple[list[str], list[str]]:
    """(tokens, other data payloads) of a ``data: {"token": ...}`` body; comments skipped."""
    tokens: list[str] = []
    others: list[str] = []
    for event in body.split("\n\n"):
        if not event or event.startswith(":"):
            continue
        assert event.startswith("data: "), event
        data = event.removeprefix("data: ")
        obj = json.loads(data) if data.startswith("{") else None
        if isinstance(obj, dict) and "token" in obj:
            tokens.append(obj["token"])
        else:
            others.append(data)
    return tokens, others


def _stream(base_url: str, mock: ServerProcess) -> Reply:
    request_id = f"corpus-smoke-{uuid.uuid4().hex[:12]}"
    prompt = f"{PROMPT} [sg:{request_id} tokens={len(WORDS)}]"
    with httpx.stream(
        "POST", base_url + "/chat/stream", json={"prompt": prompt}, timeout=20
    ) as response:
        body = response.read().decode()
    records = httpx.get(mock.url + "/mock/requests", timeout=5).json()["requests"]
    tokens, others = _parse(body)
    upstream = [r for r in records if r["id"] == request_id]
    return Reply(response.status_code, response.headers, tokens, others, upstream)


@pytest.mark.parametrize("name", list(MODULES))
def test_corpus_app_serves_one_stream(name: str, apps: dict[str, str], mock: ServerProcess) -> None:
    """One upstream call, every token relayed as a JSON SSE event, /healthz ok; per module,
    only its own single-stream mistake differs from the base."""
    reply = _stream(apps[name], mock)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert len(reply.upstream) == 1, reply.upstream
    assert reply.upstream[0]["tokens_written"] == len(WORDS)
    if name == "lost_tokens":
        assert "".join(reply.tokens) == " ".join(WORDS[:9] + WORDS[10:]), reply.tokens
    else:
        assert "".join(reply.tokens) == PROMPT, reply.tokens
    assert reply.others == ([] if name == "no_terminator" else ["[DONE]"])
    accel = reply.headers.get("x-accel-buffering")
    assert accel == (None if name == "no_accel_header" else "no")
    health = httpx.get(apps[name] + "/healthz", timeout=5)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
