"""How the mock_llm process runs: what /mock/stats says about its own machinery."""

from __future__ import annotations

import httpx


def test_the_cyclic_gc_is_off_unless_asked_for(start_mock) -> None:  # type: ignore[no-untyped-def]
    """Off by default (no cycles to find, and a full pass over a full ledger took ~50 ms)."""
    default = start_mock()
    asked = start_mock("--cyclic-gc", "true")
    assert httpx.get(f"{default.url}/mock/stats").json()["cyclic_gc"] is False
    assert httpx.get(f"{asked.url}/mock/stats").json()["cyclic_gc"] is True
