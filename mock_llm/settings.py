"""The one settings model of the mock_llm process.

Built once at the entry point (env ``MOCK_LLM_*``, CLI flags override) and
passed into :func:`mock_llm.server.create_app`; nothing reads it from a global.
Each field is one flag of ``python -m mock_llm`` (mock_llm/cli.py); a
``json_schema_extra={"metavar": ...}`` names its value in ``--help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TextMode = Literal["words", "hard", "echo", "long"]
ItlDistribution = Literal["constant", "normal", "lognormal"]
LengthMode = Literal["fixed", "max_tokens", "uniform", "normal"]
FaultKind = Literal["status", "error_event", "drop", "stall", "malformed", "no_done"]

UNRESTRICTED_MODEL_ID = "mock-gpt"
"""What ``GET /v1/models`` lists when ``models`` is empty (any id is accepted)."""


class MockSettings(BaseSettings):
    """Every knob of the fake upstream. Per request, overrides win over these: the body's
    ``mock`` object, then ``X-Mock-*`` headers, then the keys of the prompt's marker
    (``[sg:<id> ttft-ms=50 tokens=60]``, for services that forward only the prompt; its id
    names the ledger record when no ``x-request-id`` header came).
    """

    model_config = SettingsConfigDict(env_prefix="MOCK_LLM_", extra="forbid")

    host: str = Field("127.0.0.1", description="interface to bind (loopback by default)")
    port: int = Field(8100, ge=0, le=65535, description="TCP port; 0 picks a free one")

    models: list[str] = Field(
        # A plain default (pydantic copies it per instance) so --help shows it.
        [],
        description="accept only these model ids (others get 404 model_not_found); none: "
        "accept any id and echo it back in the response; /v1/models lists these, or "
        f"{UNRESTRICTED_MODEL_ID} when any is accepted",
        json_schema_extra={"metavar": "MODEL"},
    )
    api_key: str | None = Field(
        None,
        description="if set, requests must send this bearer key",
        json_schema_extra={"metavar": "TOKEN"},
    )

    ttft_ms: float = Field(100.0, ge=0, description="base time to first token")
    prefill_ms_per_token: float = Field(
        0.0, ge=0, description="extra TTFT per prompt token", json_schema_extra={"metavar": "MS"}
    )
    itl_ms: float = Field(10.0, ge=0, description="mean inter-token latency")
    itl_distribution: ItlDistribution = Field("constant", description="ITL distribution")
    itl_jitter_ms: float = Field(0.0, ge=0, description="ITL standard deviation (normal/lognormal)")

    tokens: int = Field(
        50,
        ge=1,
        description="output length (mean when drawn); a request's max_tokens caps it, and "
        "ignore_eos with max_tokens makes it exactly max_tokens",
    )
    length_mode: LengthMode = Field(
        "fixed",
        description="fixed | max_tokens (exactly max_tokens when sent) | uniform | normal; "
        "the rule in force is printed at startup and in /mock/stats (length_rule)",
    )
    tokens_spread: int = Field(0, ge=0, description="uniform half-width or normal stddev")
    tokens_per_chunk: int = Field(1, ge=1, le=64, description="tokens sent per SSE chunk")
    text_mode: TextMode = Field(
        "words",
        description="words | hard (newlines, quotes, CJK) | "
        "echo (the prompt, its marker cut out) | long (64 KiB tokens)",
    )
    seed: int = Field(0, description="seed of every random draw (latency, text, faults)")

    max_concurrent: int = Field(0, ge=0, description="active stream limit; 0 means unlimited")
    when_full: Literal["queue", "reject"] = Field(
        "queue", description="over max_concurrent: queue (counts in TTFT) or 429 at once"
    )
    itl_slowdown_per_stream: float = Field(
        0.0,
        ge=0,
        description="batching model: ITL x (1 + this x (active streams - 1))",
        json_schema_extra={"metavar": "FACTOR"},
    )
    on_disconnect: Literal["abort", "continue"] = Field(
        "abort", description="abort: stop generating at once; continue: generate to the end"
    )

    fault_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="probability a request gets a fault",
        json_schema_extra={"metavar": "P"},
    )
    fault_kinds: list[FaultKind] = Field(
        # A plain default (pydantic copies it per instance) so --help shows it.
        ["error_event", "drop", "malformed"],
        description="kinds drawn when fault_rate fires",
        json_schema_extra={"metavar": "KIND"},
    )
    retry_after_s: int = Field(1, ge=0, description="Retry-After on 429 responses")

    ledger_size: int = Field(100_000, ge=1, description="records kept in memory")
    ledger_jsonl: Path | None = Field(None, description="append finished records to this file")
    keep_token_times: bool = Field(True, description="store every token's write time")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="request body limit (413)")
    cyclic_gc: bool = Field(
        False,
        description="run Python's cyclic garbage collector; off by default: the mock makes "
        "no reference cycles, and each pass pauses every stream (1-5 ms at 1000 streams, "
        "~50 ms for a full pass over a full ledger)",
    )
    tick_us: int = Field(
        500,
        ge=50,
        le=10_000,
        description="slot width of the token scheduler: tokens are written within half a "
        "slot of their deadline, each way; narrower slots cost more wake-ups",
    )
    wakeup: Literal["auto", "timerfd", "loop"] = Field(
        "auto",
        description="what wakes the token scheduler: a timerfd (ns, Linux; auto picks it "
        "where it exists) or the event loop's millisecond timer (slots under 1 ms gain "
        "nothing with it)",
    )
