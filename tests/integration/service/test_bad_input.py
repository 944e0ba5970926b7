"""Bad input gets a clear 4xx JSON error, and the server keeps serving."""

from __future__ import annotations

import pytest

from loadtests.systems.processes import ServerProcess
from tests.integration.service.service_support import RawStream, Servers, stream

pytestmark = pytest.mark.timeout(60)

TOKEN = "test-bearer-7d1e"
AUTH = {"authorization": f"Bearer {TOKEN}"}
MAX_PROMPT = 1000
MAX_BODY = 4096


@pytest.fixture(scope="module")
def mock(servers: Servers) -> ServerProcess:
    return servers.mock("--ttft-ms", "5", "--itl-ms", "1", "--tokens", "3")


@pytest.fixture(scope="module")
def service(servers: Servers, mock: ServerProcess) -> ServerProcess:
    return servers.service(
        "reference", mock.url, "--bearer-token", TOKEN,
        "--max-prompt-chars", str(MAX_PROMPT), "--max-body-bytes", str(MAX_BODY),
    )  # fmt: skip


async def _post(
    service: ServerProcess, body: bytes, headers: dict[str, str] | None = None
) -> RawStream:
    raw = await RawStream.open(service.url, body, headers={**AUTH, **(headers or {})})
    return await raw.read_all(timeout_s=10)


@pytest.mark.parametrize(
    ("body", "status", "error_type"),
    [
        (b'{"prompt": "unterminated', 400, "invalid_json"),
        (b"\xff\xfe not utf-8", 400, "invalid_json"),
        (b"[1, 2]", 422, "invalid_request"),
        (b'{"prompt": 42}', 422, "invalid_request"),
        (b'{"prompt": "hi", "max_tokens": "10"}', 422, "invalid_request"),
        (b'{"prompt": "hi", "max_tokens": 0}', 422, "invalid_request"),
        (b'{"messages": [{"role": "wizard", "content": "hi"}]}', 422, "invalid_request"),
        (b'{"messages": "hi"}', 422, "invalid_request"),
        (b'{"prompt": "hi", "temperature": 2}', 422, "invalid_request"),
        (b"{}", 422, "invalid_request"),
        (b'{"prompt": ""}', 422, "invalid_request"),
        (b'{"prompt": "   "}', 422, "invalid_request"),
        (b'{"messages": []}', 422, "invalid_request"),
        (b'{"prompt": "' + b"a" * (MAX_PROMPT + 1) + b'"}', 422, "invalid_request"),
        (b'{"prompt": "' + b"a" * MAX_BODY + b'"}', 413, "body_too_large"),
    ],
    ids=[
        "malformed-json", "not-utf8", "array", "prompt-int", "max-tokens-str", "max-tokens-0",
        "bad-role", "messages-str", "unknown-field", "empty-object", "empty-prompt",
        "blank-prompt", "no-messages", "prompt-too-long", "body-too-large",
    ],
)  # fmt: skip
async def test_bad_body_is_a_clear_4xx(
    service: ServerProcess, body: bytes, status: int, error_type: str
) -> None:
    raw = await _post(service, body)
    assert raw.status == status
    assert raw.headers["content-type"] == "application/json"
    error = raw.json()["error"]
    assert error["type"] == error_type
    assert error["message"]


async def test_wrong_content_type_is_415(service: ServerProcess) -> None:
    raw = await _post(service, b'{"prompt": "hi"}', {"content-type": "text/plain"})
    assert raw.status == 415
    assert raw.json()["error"]["type"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Basic dGVzdDp0ZXN0", f"bearer{TOKEN}"]
)
async def test_missing_or_wrong_bearer_token_is_401(
    service: ServerProcess, authorization: str | None
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    raw = await stream(service.url, {"prompt": "hi"}, headers=headers)
    assert raw.status == 401
    assert raw.headers["www-authenticate"] == "Bearer"
    assert raw.json()["error"]["type"] == "unauthorized"


async def test_validation_details_name_the_field(service: ServerProcess) -> None:
    raw = await _post(service, b'{"prompt": "hi", "max_tokens": "ten"}')
    assert raw.json()["error"]["details"][0]["loc"] == ["max_tokens"]


async def test_server_keeps_serving_after_bad_input(service: ServerProcess) -> None:
    for body in (b"{", b"[]", b'{"prompt": ""}', b"x" * (MAX_BODY * 2)):
        await _post(service, body)
    ok = await stream(service.url, {"prompt": "hi"}, headers=AUTH)
    assert ok.status == 200
    assert len(ok.tokens()) == 3
    health = await stream(service.url, b"", method="GET", path="/healthz")
    assert health.status == 200
    assert health.json() == {"status": "ok"}
