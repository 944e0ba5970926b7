"""What the suite expects of each variant, per scenario: the teaching bugs reproduce.

One table for pytest and for ``streamgauge run``; a variant that stops
reproducing its bug turns both red.
"""

from __future__ import annotations

# Every variant the embedded service serves (``python -m service --variant NAME``).
EMBEDDED_VARIANTS: tuple[str, ...] = (
    "reference",
    "reference_fast",
    "seed_recipe",
    "sync_client_in_async",
    "sync_generator",
    "break_without_close",
    "raw_text_framing",
    "no_accel_header",
)

TTFT: dict[str, str] = {
    "direct_to_mock": "ok",
    "reference": "ok",
    "reference_fast": "ok",
    "seed_recipe": "ok",
    "sync_client_in_async": "slow",
    "sync_generator": "ok",
    "break_without_close": "ok",
    "raw_text_framing": "broken",
    "no_accel_header": "ok",
}

BLOCKING: dict[str, str] = {
    "reference": "ok",
    "reference_fast": "ok",
    "seed_recipe": "ok",
    "sync_client_in_async": "blocks",
    "sync_generator": "ok",
    "break_without_close": "ok",
    "raw_text_framing": "ok",
    "no_accel_header": "ok",
}

DISCONNECT: dict[str, str] = {
    "reference/close_after": "ok",
    "reference/stop_reading": "ok",
    "reference/burst": "ok",
    "reference_fast/close_after": "ok",
    "reference_fast/stop_reading": "ok",
    "reference_fast/burst": "ok",
    "seed_recipe/stop_reading": "leaks",
    "break_without_close/stop_reading": "leaks",
    "sync_client_in_async/close_after": "leaks",
    "sync_generator/close_after": "leaks",
    "no_accel_header/close_after": "ok",
}

BUFFERING: dict[str, str] = {}

# Variants each scenario measures by default (the others teach something else).
DEFAULT_VARIANTS: dict[str, tuple[str, ...]] = {
    "ttft": tuple(k for k in TTFT if k != "direct_to_mock"),
    "blocking": (
        "reference",
        "reference_fast",
        "seed_recipe",
        "sync_client_in_async",
        "sync_generator",
        "break_without_close",
    ),
    "disconnect": (
        "reference",
        "reference_fast",
        "seed_recipe",
        "break_without_close",
        "sync_client_in_async",
        "sync_generator",
    ),
    "buffering": ("reference", "no_accel_header"),
}


def expected_for(table: dict[str, str], subjects: list[str]) -> dict[str, str]:
    """The expectations that apply to the subjects actually measured."""
    return {s: table[s] for s in subjects if s in table}
