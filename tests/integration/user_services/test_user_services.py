"""The user-style services (tests/user_services) answer in their own shapes, for real.

Each runs as a team would run it, ``python -m uvicorn tests.user_services.<module>:app``,
on a socket this test binds on 127.0.0.1 port 0 and hands over with ``--fd``; its SDK
finds the mock through ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` alone. The mock echoes
the prompt (``--text-mode echo``, as many tokens as the prompt has words), so whatever
the framing, the relayed text must equal the prompt.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtests.systems.processes import (
    ServerProcess,
    python_module,
    start_server,
    stop_process,
)

PROMPT = "the quick brown fox jumps over the lazy dog"
WORDS = len(PROMPT.split())
ITL_MS = 50
#: The services whose /healthz waits while a stream runs (the sync client on the loop).
BLOCKING = {"seed001_style"}
REPO = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class UserService:
    """How one service is called: its module, the model id it asks for, path and body."""

    module: str
    model: str
    path: str
    body: dict[str, Any]


SERVICES = {
    "seed001_style": UserService(
        "seed001_style",
        "gpt-4o",
        "/chat/stream",
        {"messages": [{"role": "user", "content": PROMPT}]},
    ),
    "seed000_style": UserService(
        "seed000_style", "gpt-4o-mini", "/chat/stream", {"prompt": PROMPT}
    ),
    "ndjson_service": UserService(
        "ndjson_service",
        "llama3.2",
        "/api/chat",
        {"model": "llama3.2", "messages": [{"role": "user", "content": PROMPT}]},
    ),
}


@dataclass(frozen=True)
class Running:
    service: UserService
    url: str
    mock: ServerProcess
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@dataclass(frozen=True)
class Reply:
    """The response, the x-request-id we sent, and the mock's ledger right afterwards."""

    status: int
    headers: httpx.Headers
    body: bytes
    request_id: str
    ledger: list[dict[str, Any]]


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{log_path.read_text()}")
        # The socket listens from the start: a connect succeeds and the request
        # waits in the backlog until the app has started.
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{url}/healthz not 200 within 30 s:\n{log_path.read_text()}")


@contextlib.contextmanager
def running_app(module: str, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``uvicorn tests.user_services.<module>:app`` on our own port-0 socket; stopped by PID."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        argv = [
            sys.executable, "-m", "uvicorn", f"tests.user_services.{module}:app",
            "--fd", str(sock.fileno()), "--log-level", "warning",
        ]  # fmt: skip
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                argv,
                cwd=REPO,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=[sock.fileno()],
            )
    # The child holds its own copy of the listening socket; ours is closed.
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(proc, url, log_path)
        yield url
    finally:
        stop_process(proc, timeout_s=5)


@pytest.fixture(scope="module", params=list(SERVICES))
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    """A mock serving the service's model id, and the service in front of it."""
    service = SERVICES[request.param]
    logs = tmp_path_factory.mktemp(service.module)
    mock = start_server(
        python_module(
            "mock_llm", "--port", "0", "--models", service.model, "--text-mode", "echo",
            "--tokens", str(WORDS), "--ttft-ms", "20", "--itl-ms", str(ITL_MS),
        ),
        log_path=str(logs / "mock.log"),
    )  # fmt: skip
    try:
        env = {
            "OPENAI_BASE_URL": mock.url + "/v1",
            "OPENAI_API_KEY": "sk-test",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        with running_app(service.module, env, logs / "uvicorn.log") as url:
            yield Running(service, url, mock, logs / "uvicorn.log")
    finally:
        mock.stop()


@pytest.fixture(scope="module")
def reply(running: Running) -> Reply:
    """One streamed POST with an x-request-id, read to the end, on a cleared ledger."""
    httpx.delete(running.mock.url + "/mock/requests", timeout=5).raise_for_status()
    request_id = f"user-service-{uuid.uuid4().hex[:8]}"
    with httpx.stream(
        "POST",
        running.url + running.service.path,
        json=running.service.body,
        headers={"x-request-id": request_id},
        timeout=30,
    ) as response:
        body = b"".join(response.iter_raw())
    return Reply(response.status_code, response.headers, body, request_id, _ledger(running.mock))


def _ledger(mock: ServerProcess) -> list[dict[str, Any]]:
    response = httpx.get(mock.url + "/mock/requests", timeout=5)
    response.raise_for_status()
    records: list[dict[str, Any]] = response.json()["requests"]
    return records


def _sse_tokens(body: bytes) -> tuple[list[str], list[str]]:
    """(tokens, other data payloads) of a ``data: {"token": ...}`` SSE body."""
    tokens: list[str] = []
    other: list[str] = []
    for event in body.decode().split("\n\n"):
        if not event:
            continue
        assert event.startswith("data: "), event
        data = event.removeprefix("data: ")
        if data.startswith("{"):
            tokens.append(json.loads(data)["token"])
        else:
            other.append(data)
    return tokens, other


def test_body_has_the_service_shape_and_the_mock_text(running: Running, reply: Reply) -> None:
    """text/plain: the raw tokens are the text; SSE: JSON tokens then [DONE];
    NDJSON: one assistant message per token, then a last line with done true."""
    response = reply
    assert response.status == 200, (response.body, running.log())
    content_type = response.headers["content-type"]
    if running.service.module == "seed001_style":
        assert content_type.startswith("text/plain"), content_type
        assert response.body.decode() == PROMPT
    elif running.service.module == "seed000_style":
        assert content_type.startswith("text/event-stream"), content_type
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        tokens, other = _sse_tokens(response.body)
        assert "".join(tokens) == PROMPT
        assert len(tokens) == WORDS
        assert other == ["[DONE]"]
    else:
        assert content_type == "application/x-ndjson", content_type
        assert response.body.endswith(b"\n")
        lines = [json.loads(line) for line in response.body.decode().splitlines()]
        *tokens, last = lines
        assert all(t["done"] is False and t["message"]["role"] == "assistant" for t in tokens)
        assert "".join(t["message"]["content"] for t in tokens) == PROMPT
        assert last["done"] is True
        assert last["message"] == {"role": "assistant", "content": ""}
        assert last["done_reason"] == "stop"
        assert last["eval_count"] == WORDS


def test_the_mock_saw_one_stream_and_none_of_our_headers(running: Running, reply: Reply) -> None:
    """The service called the mock once (its own model id, streamed, all tokens written)
    and did not forward our x-request-id: the mock filed it under an id of its own."""
    (record,) = reply.ledger
    assert record["id"] != reply.request_id
    assert record["endpoint"] == "chat"
    assert record["model"] == running.service.model
    assert record["stream"] is True
    assert record["tokens_written"] == WORDS


def test_healthz_answers_ok(running: Running) -> None:
    """Every user service has the async GET /healthz the blocking scenario probes."""
    response = httpx.get(running.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_waits_only_behind_the_sync_client(running: Running) -> None:
    """GET /healthz sent once the first token arrived: the sync-client service answers
    only when its stream is over (8 tokens x 50 ms left, >= 250 ms); the async ones at
    once (< 150 ms). A seed-001 style service that stops blocking turns this red."""
    # Clients built beforehand: building one (its SSL context) costs tens of ms.
    with (
        httpx.Client(timeout=10) as prober,
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST", running.url + running.service.path, json=running.service.body
        ) as response,
    ):
        body = response.iter_raw()
        first = next(body)
        started_ns = time.perf_counter_ns()
        health = prober.get(running.url + "/healthz")
        healthz_ms = (time.perf_counter_ns() - started_ns) / 1e6
        rest = b"".join(body)
    assert health.status_code == 200
    assert first + rest
    if running.service.module in BLOCKING:
        assert healthz_ms >= 5 * ITL_MS, healthz_ms
    else:
        assert healthz_ms < 3 * ITL_MS, healthz_ms
