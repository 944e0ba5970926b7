"""Per-request overrides: the body field ``mock``, ``X-Mock-*`` headers, the prompt's marker.

One running mock serves many scenarios: ``extra_body={"mock": {...}}`` from the
SDK, headers a proxy-transparent client can set (``X-Mock-Ttft-Ms: 50``,
``X-Mock-Fault: {"kind": "drop", "at": 3}``), or the keys of the correlation
marker in the prompt (``[sg:r-1 ttft-ms=50]``, mock_llm/marker.py) for a service
that forwards neither. Per field, the body wins over headers, headers over the marker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .http.wire import ApiError
from .settings import FaultKind, ItlDistribution, TextMode


class FaultSpec(BaseModel):
    """One injected fault. ``at`` is the 1-based content chunk the fault replaces or precedes."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    at: int = Field(1, ge=1)
    status: int = Field(500, ge=400, le=599)
    retry_after: int | None = Field(None, ge=0)
    seconds: float = Field(1.0, ge=0, le=3600)
    mode: Literal["close", "reset"] = "close"
    # Only the first ``times`` requests carrying the same x-request-id get the
    # fault, so an SDK retry of the same request can succeed.
    times: int | None = Field(None, ge=1)


class MockOverrides(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ttft_ms: float | None = Field(None, ge=0)
    itl_ms: float | None = Field(None, ge=0)
    itl_jitter_ms: float | None = Field(None, ge=0)
    itl_distribution: ItlDistribution | None = None
    tokens: int | None = Field(None, ge=1, le=1_000_000)
    tokens_per_chunk: int | None = Field(None, ge=1, le=64)
    text_mode: TextMode | None = None
    seed: int | None = None
    fault: FaultSpec | None = None


NO_OVERRIDES = MockOverrides()  # frozen: safe to share


def _header_fault(value: str) -> Any:
    value = value.strip()
    if value.startswith("{"):
        return json.loads(value)
    return {"kind": value}


def parse_overrides(
    body_value: object, headers: Mapping[str, str], marker: MockOverrides = NO_OVERRIDES
) -> MockOverrides:
    """Merge the marker's overrides, ``X-Mock-*`` headers and the body's ``mock`` object.

    Invalid headers or body raise a 400 ApiError; the marker was validated when
    it was found (a malformed one is no marker: mock_llm/marker.py).
    """
    if body_value is None and not any(name.startswith("x-mock-") for name in headers):
        return marker  # the common case, without a pydantic validation per request
    merged: dict[str, Any] = marker.model_dump(exclude_unset=True)
    try:
        for name, value in headers.items():
            if not name.startswith("x-mock-"):
                continue
            field = name[len("x-mock-") :].replace("-", "_")
            merged[field] = _header_fault(value) if field == "fault" else value
        if body_value is not None:
            if not isinstance(body_value, dict):
                raise ApiError(400, "'mock' must be an object", param="mock")
            merged.update(body_value)
        return MockOverrides.model_validate(merged)
    except (ValidationError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"invalid mock overrides: {exc}", param="mock") from exc
