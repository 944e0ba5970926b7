"""Token field paths: where a JSON event keeps its text (``--token-field``).

A path is dot-separated keys; a segment of digits indexes a list:
``choices.0.delta.content`` reads ``obj["choices"][0]["delta"]["content"]``.
"""

from __future__ import annotations

__all__ = ["TokenPath", "lookup", "parse_token_field"]

#: Parsed path: ``str`` keys into objects, ``int`` indexes into lists.
TokenPath = tuple[str | int, ...]


def parse_token_field(text: str) -> TokenPath:
    """``"choices.0.delta.content"`` -> ``("choices", 0, "delta", "content")``."""
    segments = text.split(".")
    if not text or any(not s.strip() for s in segments):
        raise ValueError(
            f"--token-field {text!r}: expected a dotted path like 'token', 'delta.text' "
            "or 'choices.0.delta.content'"
        )
    return tuple(int(s) if s.isdecimal() else s for s in segments)


def lookup(obj: object, path: TokenPath) -> tuple[bool, object]:
    """``(found, value)``: whether every segment exists, and the value there.

    A digits segment also works as a key of an object (``{"0": ...}``).
    """
    current = obj
    for segment in path:
        if isinstance(current, dict):
            key = str(segment)
            if key not in current:
                return False, None
            current = current[key]
        elif isinstance(current, list) and isinstance(segment, int):
            if segment >= len(current):
                return False, None
            current = current[segment]
        else:
            return False, None
    return True, current
