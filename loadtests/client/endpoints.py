"""A streaming endpoint as the scenarios see it: where to POST, what to send, how to read it."""

from __future__ import annotations

from dataclasses import dataclass

from .tokens import StreamFormat


@dataclass(frozen=True)
class Endpoint:
    """``format="service"``: our contract (``{"prompt"}`` in, ``{"token"}`` events out).
    ``format="openai"``: an OpenAI-compatible chat completions URL (e.g. mock_llm itself).
    """

    name: str
    url: str
    format: StreamFormat = "service"
    model: str = "mock-gpt"

    def body(self, prompt: str = "Say something.") -> dict[str, object]:
        if self.format == "openai":
            return {
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "stream": True,
            }
        return {"prompt": prompt}

    @property
    def base_url(self) -> str:
        """Scheme, host and port: where ``/healthz`` and ``/debug/stalls`` live."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


def service_endpoint(name: str, base_url: str, path: str = "/chat/stream") -> Endpoint:
    return Endpoint(name=name, url=base_url.rstrip("/") + path, format="service")


def mock_endpoint(mock_url: str, model: str = "mock-gpt") -> Endpoint:
    return Endpoint(
        name="direct_to_mock",
        url=mock_url.rstrip("/") + "/v1/chat/completions",
        format="openai",
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
