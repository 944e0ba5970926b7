"""Request shapes: the JSON body (and extra headers) a streamed POST carries.

Presets, for the bodies services usually take (``P`` is the prompt, marker included;
``N`` the scenario's length, ``M`` the model):

==========================  ===========================================================
``prompt``                  ``{"prompt": P}`` (our embedded service's contract)
``messages``                ``{"messages": [{"role": "user", "content": P}]}``
``openai-chat``             ``{"model": M, "messages": [...], "stream": true,
                            "max_tokens": N, "stream_options": {"include_usage": true}}``
``openai-completions``      ``{"model": M, "prompt": P, "stream": true, "max_tokens": N}``
==========================  ===========================================================

``model`` and ``max_tokens`` are left out when ``None``; the ``prompt`` and ``messages``
presets never carry them. A template (``--body``) is any valid JSON text holding the
placeholder ``{prompt}`` inside a string; every placeholder is replaced by the prompt,
JSON-string-escaped, and the rest of the text is sent byte for byte. Always POST.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = [
    "PLACEHOLDER",
    "REQUEST_PRESETS",
    "RequestPreset",
    "RequestShape",
    "parse_header",
]

RequestPreset = Literal["prompt", "messages", "openai-chat", "openai-completions"]
REQUEST_PRESETS: tuple[RequestPreset, ...] = get_args(RequestPreset)
PLACEHOLDER = "{prompt}"

# RFC 9110 field-name (token); the value may not hold CR, LF or NUL.
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
# The client writes these itself for every request.
_RESERVED = frozenset({"host", "content-length", "transfer-encoding", "x-request-id"})


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` -> ``("Name", "value")``; raises ``ValueError`` with the reason."""
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _FIELD_NAME.match(name):
        raise ValueError(f"--header {text!r}: expected 'Name: value' (e.g. 'Authorization: ...')")
    if any(c in value for c in "\r\n\x00"):
        raise ValueError(f"--header {name}: the value may not contain CR, LF or NUL")
    if name.lower() in _RESERVED:
        raise ValueError(f"--header {name}: the harness sets {name.lower()} itself")
    return name, value


@dataclass(frozen=True, slots=True)
class RequestShape:
    """How the body of every streamed POST is built: a preset, or a ``template``.

    ``headers`` are sent with every request (auth); one named like a client default
    (``accept``, ``content-type``, ...) replaces it.

    >>> RequestShape("messages").body("hi")
    b'{"messages":[{"role":"user","content":"hi"}]}'
    >>> RequestShape(template='{"q": "{prompt}"}').body('say "x"')
    b'{"q": "say \\\\"x\\\\""}'
    """

    preset: RequestPreset = "prompt"
    template: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    _parts: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.preset not in REQUEST_PRESETS:
            raise ValueError(
                f"unknown request shape {self.preset!r}; one of {', '.join(REQUEST_PRESETS)}"
            )
        parts: tuple[str, ...] = ()
        if self.template is not None:
            parts = _template_parts(self.template)
        object.__setattr__(self, "_parts", parts)
        for name, value in self.headers:
            parse_header(f"{name}: {value}")

    @classmethod
    def from_options(
        cls,
        preset: RequestPreset = "prompt",
        *,
        body: str | None = None,
        headers: Iterable[str] = (),
    ) -> RequestShape:
        """From command-line text (``--request-shape``, ``--body``, ``--header``)."""
        return cls(preset, body, tuple(parse_header(h) for h in headers))

    @property
    def name(self) -> str:
        """The preset's name, or ``"body template"``."""
        return "body template" if self.template is not None else self.preset

    def body(
        self, prompt: str, *, max_tokens: int | None = None, model: str | None = None
    ) -> bytes:
        """The UTF-8 JSON body carrying ``prompt``; pure."""
        if self.template is not None:
            escaped = json.dumps(prompt, ensure_ascii=False)[1:-1]
            return escaped.join(self._parts).encode()
        obj: dict[str, object]
        messages = [{"role": "user", "content": prompt}]
        if self.preset == "prompt":
            obj = {"prompt": prompt}
        elif self.preset == "messages":
            obj = {"messages": messages}
        else:
            obj = {} if model is None else {"model": model}
            if self.preset == "openai-chat":
                obj.update(messages=messages, stream=True)
            else:
                obj.update(prompt=prompt, stream=True)
            if max_tokens is not None:
                obj["max_tokens"] = max_tokens
            if self.preset == "openai-chat":
                obj["stream_options"] = {"include_usage": True}
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _template_parts(template: str) -> tuple[str, ...]:
    """The template split at each placeholder; raises ``ValueError`` if it cannot be used."""
    try:
        json.loads(template)
    except ValueError as exc:
        raise ValueError(
            f"--body is not valid JSON ({exc}); put the placeholder inside a string, "
            'e.g. \'{"input": "{prompt}"}\''
        ) from None
    if PLACEHOLDER not in template:
        raise ValueError(
            f"--body has no {PLACEHOLDER} placeholder: the harness puts its prompt (with the "
            'correlation marker) there, e.g. \'{"input": "{prompt}"}\''
        )
    return tuple(template.split(PLACEHOLDER))
