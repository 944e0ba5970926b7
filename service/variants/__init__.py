"""The endpoint implementations: the reference, its fast twin, one module per mistake.

Each module exposes ``stream_chat(request, chat, ctx) -> Response``. A teaching
module is the reference with one mistake (diff them) and says in its docstring
the symptom, the number that shows it and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..context import StreamHandler
from ..settings import VariantName
from . import (
    break_without_close,
    no_accel_header,
    raw_text_framing,
    reference,
    reference_fast,
    seed_recipe,
    sync_client_in_async,
    sync_generator,
)

HANDLERS: Mapping[VariantName, StreamHandler] = MappingProxyType(
    {
        "reference": reference.stream_chat,
        "reference_fast": reference_fast.stream_chat,
        "seed_recipe": seed_recipe.stream_chat,
        "sync_client_in_async": sync_client_in_async.stream_chat,
        "sync_generator": sync_generator.stream_chat,
        "break_without_close": break_without_close.stream_chat,
        "raw_text_framing": raw_text_framing.stream_chat,
        "no_accel_header": no_accel_header.stream_chat,
    }
)
# Variants that use the sync OpenAI client (warmed up at startup only for them).
SYNC_VARIANTS: frozenset[VariantName] = frozenset({"sync_client_in_async", "sync_generator"})

__all__ = ["HANDLERS", "SYNC_VARIANTS"]
