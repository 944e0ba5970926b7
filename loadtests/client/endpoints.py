"""A streaming endpoint as the scenarios see it: where to POST, what to send, how to read it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .marker import Shaping, marked_prompt
from .request_shapes import RequestShape
from .response_shapes import OPENAI_CHAT, SERVICE_SSE, ResponseShape
from .tokens import StreamFormat

__all__ = [
    "DEFAULT_PROMPT",
    "Endpoint",
    "mock_endpoint",
    "mock_headers",
    "service_endpoint",
    "shaping_headers",
]

DEFAULT_PROMPT = "Say something."


@dataclass(frozen=True, init=False)
class Endpoint:
    """``request`` builds the body, ``response`` reads the stream.

    The defaults are our embedded service's contract (``{"prompt"}`` in, ``{"token"}``
    events out). ``model`` goes into the OpenAI request presets.

    ``format=`` is the older way to say it (``"service"``, or ``"openai"``: chat both
    ways), kept for callers not yet moved to the shapes; it overrides both shapes.
    """

    name: str
    url: str
    request: RequestShape
    response: ResponseShape
    model: str | None

    def __init__(
        self,
        name: str,
        url: str,
        request: RequestShape | None = None,
        response: ResponseShape | None = None,
        model: str | None = "mock-gpt",
        *,
        format: StreamFormat | None = None,
    ) -> None:
        request = request or RequestShape()
        response = response or SERVICE_SSE
        if format in ("openai", "openai-chat"):
            request = RequestShape("openai-chat", None, request.headers)
            response = OPENAI_CHAT
        elif format in ("service", "sse-json"):
            request = RequestShape("prompt", None, request.headers)
            response = SERVICE_SSE
        elif format is not None:
            raise ValueError(f"format={format!r}: give request= and response= shapes instead")
        for name_, value in (
            ("name", name),
            ("url", url),
            ("request", request),
            ("response", response),
            ("model", model),
        ):
            object.__setattr__(self, name_, value)

    @property
    def format(self) -> StreamFormat | ResponseShape:
        """Deprecated: ``"service"``/``"openai"`` for the older pairs, else :attr:`response`.

        Either works as :func:`loadtests.client.tokens.tokens_from_record`'s argument.
        """
        if self.response == SERVICE_SSE and self.request.preset == "prompt":
            return "service"
        if self.response == OPENAI_CHAT and self.request.preset == "openai-chat":
            return "openai"
        return self.response

    def body(
        self,
        *,
        request_id: str,
        shaping: Shaping | None = None,
        max_tokens: int | None = None,
        prompt: str = DEFAULT_PROMPT,
    ) -> bytes:
        """The request body: ``prompt`` plus the correlation marker (:mod:`.marker`)."""
        return self.request.body(
            marked_prompt(prompt, request_id, shaping), max_tokens=max_tokens, model=self.model
        )

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The request shape's headers (auth), then ``extra`` (``X-Mock-*``) on top."""
        return {**dict(self.request.headers), **(extra or {})}

    @property
    def base_url(self) -> str:
        """Scheme, host and port: where ``/healthz`` and ``/debug/stalls`` live."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


def service_endpoint(name: str, base_url: str, path: str = "/chat/stream") -> Endpoint:
    """Our embedded service's contract: ``{"prompt"}`` in, ``data: {"token"}`` out."""
    return Endpoint(name=name, url=base_url.rstrip("/") + path)


def mock_endpoint(mock_url: str, model: str = "mock-gpt") -> Endpoint:
    """mock_llm's chat completions, OpenAI chat both ways."""
    return Endpoint(
        name="direct_to_mock",
        url=mock_url.rstrip("/") + "/v1/chat/completions",
        request=RequestShape("openai-chat"),
        response=OPENAI_CHAT,
        model=model,
    )


def mock_headers(ttft_ms: float, itl_ms: float, tokens: int, **extra: str) -> dict[str, str]:
    """``X-Mock-*`` headers shaping the upstream per request (services forward them)."""
    headers = {
        "x-mock-ttft-ms": str(ttft_ms),
        "x-mock-itl-ms": str(itl_ms),
        "x-mock-tokens": str(tokens),
    }
    headers.update({f"x-mock-{k.replace('_', '-')}": v for k, v in extra.items()})
    return headers


def shaping_headers(shaping: Shaping | None) -> dict[str, str]:
    """The ``X-Mock-*`` headers saying what ``shaping``'s marker says (the fault as JSON)."""
    if shaping is None:
        return {}
    headers: dict[str, str] = {}
    fault: dict[str, object] = {}
    shaping.pairs()  # validates
    for f in fields(shaping):
        value = getattr(shaping, f.name)
        if value is None:
            continue
        if f.name == "fault":
            fault["kind"] = value
        elif f.name.startswith("fault_"):
            fault[f.name.removeprefix("fault_")] = value
        else:
            headers[f"x-mock-{f.name.replace('_', '-')}"] = str(value)
    if fault:
        headers["x-mock-fault"] = json.dumps(fault)
    return headers
