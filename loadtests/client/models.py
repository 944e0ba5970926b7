"""Which model to ask an OpenAI-compatible target for: the first it lists, if not told."""

from __future__ import annotations

import httpx


def first_model_id(base_url: str, timeout_s: float = 5.0) -> str | None:
    """The first ``id`` of ``GET {base_url}/v1/models``; ``None`` if it lists none or fails."""
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/v1/models", timeout=timeout_s)
        data = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        model = data[0].get("id")
        return model if isinstance(model, str) and model else None
    return None
