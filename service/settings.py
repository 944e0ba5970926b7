"""The one settings model of the service process.

Built once in ``__main__`` (env ``SERVICE_*``, CLI flags override) and passed to
:func:`service.app.create_app`; nothing reads settings from a module global.
"""

from __future__ import annotations

from typing import Literal, get_args
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VariantName = Literal[
    "reference",
    "reference_fast",
    "seed_recipe",
    "sync_client_in_async",
    "sync_generator",
    "break_without_close",
    "raw_text_framing",
    "no_accel_header",
]
VARIANT_NAMES: tuple[VariantName, ...] = get_args(VariantName)


class ServiceSettings(BaseSettings):
    """Everything the streaming endpoint needs; defaults live here and only here."""

    model_config = SettingsConfigDict(env_prefix="SERVICE_", extra="forbid")

    variant: VariantName = Field("reference", description="which endpoint implementation serves")
    host: str = Field("127.0.0.1", description="interface to bind (loopback by default)")
    port: int = Field(8000, ge=0, le=65535, description="TCP port; 0 picks a free one")

    upstream_base_url: str = Field(
        "http://127.0.0.1:8100/v1",
        description="OpenAI-compatible base URL; a bare http://host:port gets /v1 appended",
    )
    api_key: SecretStr = Field(
        SecretStr("sk-streamgauge-local"), description="upstream API key (never echoed)"
    )
    model: str = Field("mock-gpt", description="upstream model when the request names none")
    connect_timeout_s: float = Field(5.0, gt=0, description="upstream connect timeout")
    read_timeout_s: float = Field(
        30.0, gt=0, description="upstream read timeout: max silence before the first or next chunk"
    )
    # The service never retries by default: a retry before the first token
    # multiplies upstream load exactly when the upstream is overloaded, and a
    # stream cannot be retried after tokens went out. The end client sees
    # 429/502/504 with Retry-After and decides (the SDK's default is 2 retries:
    # docs/behaviours.md#openai-sdk).
    max_retries: int = Field(0, ge=0, le=10, description="SDK retries before the first byte")

    upstream_http: Literal["lean", "httpx2"] = Field(
        "lean",
        description="HTTP client under reference_fast's AsyncOpenAI: 'lean' "
        "(service/upstream_transport.py; the SDK's stack anyway if a proxy is configured) "
        "or 'httpx2' (the SDK's own stack, to measure the transport's share). "
        "Every other variant uses the SDK's own stack",
    )

    max_prompt_chars: int = Field(32_000, ge=1, description="longest prompt (all messages)")
    max_messages: int = Field(64, ge=1, description="most messages in one request")
    max_output_tokens: int = Field(4096, ge=1, description="largest max_tokens accepted")
    max_body_bytes: int = Field(262_144, ge=1024, description="request body limit (413)")

    bearer_token: SecretStr | None = Field(
        None, description="if set, /chat/stream and /debug require 'Authorization: Bearer <token>'"
    )
    forward_mock_headers: bool = Field(
        False, description="forward the client's X-Mock-* headers upstream (test scenarios only)"
    )

    send_delay_ms: float = Field(
        0.0,
        ge=0,
        description="test knob: await this long after each body message is sent "
        "(per-chunk async work in the send path); 0 disables",
    )

    lag_probe_interval_ms: float = Field(5.0, gt=0, le=1000, description="loop lag probe period")
    stall_threshold_ms: float = Field(
        100.0, gt=0, description="loop silence that counts as a stall and gets its stack sampled"
    )
    stalls_kept: int = Field(20, ge=1, le=1000, description="stalls kept for /debug/stalls")
    shutdown_grace_s: int = Field(
        3, ge=0, description="on SIGTERM, wait this long for streams, then cancel them"
    )
    warm_up: bool = Field(True, description="exercise the SDK once at startup (see lifespan)")
    gc_freeze: bool = Field(
        True, description="gc.freeze() after startup: full collections skip startup objects"
    )
    # nginx's default proxy_pass asks with HTTP/1.0. httptools answers it chunked
    # and nginx relays it per chunk; h11 answers close-delimited, as HTTP/1.0
    # requires, and nginx buffers the whole reply (docs/pitfalls/no_accel_header.md).
    http: Literal["httptools", "h11"] = Field(
        "httptools", description="uvicorn's HTTP protocol implementation"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field("warning")
    access_log: bool = Field(False, description="uvicorn access log (costs CPU per request)")

    @field_validator("upstream_base_url")
    @classmethod
    def _normalize_upstream(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8100/v1")
        path = parts.path.rstrip("/") or "/v1"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
