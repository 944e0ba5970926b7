"""Framing: hostile token text survives the reference and breaks the raw variant.

The mock's ``echo`` mode turns the prompt's words (with their leading
whitespace) into tokens, so the expected text is the prompt itself and one
token is exactly ``"\\n\\ndata:"``.
"""

from __future__ import annotations

import pytest

from loadtests.systems.processes import ServerProcess
from mock_llm.engine.vocabulary import HARD
from tests.integration.service.service_support import Servers, ServiceFor, sse_data, stream

pytestmark = pytest.mark.timeout(60)

PROMPT = 'alpha\n\ndata: beta "q" \\ [DONE]\r\nend'
# echo splits on r"\s*\S+": ["alpha", "\n\ndata:", " beta", ' "q"', " \\", " [DONE]", "\r\nend"]
ECHO_TOKENS = 7
ECHO = {"X-Mock-Text-Mode": "echo", "X-Mock-Tokens": str(ECHO_TOKENS), "X-Mock-Itl-Ms": "5"}


@pytest.fixture(scope="module")
def mock(servers: Servers) -> ServerProcess:
    return servers.mock("--ttft-ms", "10")


async def test_reference_keeps_newlines_and_data_prefix_intact(
    service_for: ServiceFor,
) -> None:
    raw = await stream(service_for("reference").url, {"prompt": PROMPT}, headers=ECHO)
    assert raw.status == 200
    assert raw.headers["content-type"].startswith("text/event-stream")
    tokens = raw.tokens()
    assert "\n\ndata:" in tokens
    assert "".join(tokens) == PROMPT
    assert raw.data()[-1] == "[DONE]"


async def test_reference_relays_every_hard_token_byte_exact(
    service_for: ServiceFor,
) -> None:
    """``hard`` mode puts every HARD token at the odd positions, in order."""
    count = 2 * len(HARD)
    headers = {"X-Mock-Text-Mode": "hard", "X-Mock-Tokens": str(count), "X-Mock-Itl-Ms": "2"}
    raw = await stream(service_for("reference").url, {"prompt": "hi"}, headers=headers)
    tokens = raw.tokens()
    assert len(tokens) == 2 * len(HARD)
    assert tokens[1::2] == list(HARD)


async def test_raw_text_framing_corrupts_the_stream(
    service_for: ServiceFor,
) -> None:
    """The same echo through raw text: an SSE parser no longer gets the text back."""
    raw = await stream(service_for("raw_text_framing").url, {"prompt": PROMPT}, headers=ECHO)
    assert raw.status == 200
    assert raw.headers["content-type"].startswith("text/plain")
    data = sse_data(raw.body)
    received = "".join(d for d in data if d != "[DONE]")
    print(f"raw_text_framing: sent {PROMPT!r}, an SSE parser got {data!r}")
    assert received != PROMPT
    # "\n\ndata:" ended its event early and forged a second, empty one.
    assert data[1:3] == ["", ""]
    assert len(data) == ECHO_TOKENS + 2


async def test_accel_header_present_on_reference_missing_on_no_accel_header(
    service_for: ServiceFor,
) -> None:
    ref = await stream(service_for("reference").url, {"prompt": "hi"})
    bad = await stream(service_for("no_accel_header").url, {"prompt": "hi"})
    assert ref.headers["x-accel-buffering"] == "no"
    assert ref.headers["cache-control"] == "no-cache"
    assert "x-accel-buffering" not in bad.headers
    assert bad.tokens()
    assert bad.data()[-1] == "[DONE]"
