"""The request/response shape flags, shared by every command that sends streams.

``add_shape_arguments(parser)`` adds them; ``shapes_from_args(args)`` turns the parsed
values into a :class:`RequestShape` and a :class:`ResponseShape`, raising ``ValueError``
with a message fit for ``parser.error()``. The argparse defaults are ``None`` so a caller
can tell "not given" from the default (:func:`shapes_given`).
"""

from __future__ import annotations

import argparse
from typing import Any, Protocol

from .request_shapes import REQUEST_PRESETS, RequestShape
from .response_shapes import RESPONSE_SHAPES, ResponseShape

__all__ = ["add_shape_arguments", "shapes_from_args", "shapes_given"]

_DESTS = ("request_shape", "body", "header", "response_shape", "token_field")


class _AddsArguments(Protocol):
    """An ``ArgumentParser`` or an argument group (Locust's parser too)."""

    def add_argument(self, *args: Any, **kwargs: Any) -> Any: ...


def add_shape_arguments(parser: _AddsArguments) -> None:
    """Add ``--request-shape``, ``--body``, ``--header``, ``--response-shape`` and
    ``--token-field`` (all default ``None``: see :func:`shapes_from_args`)."""
    parser.add_argument(
        "--request-shape",
        choices=REQUEST_PRESETS,
        metavar="SHAPE",
        default=None,
        help="the streamed POST's body: prompt ({'prompt': P}), messages ({'messages': "
        "[{'role': 'user', 'content': P}]}), openai-chat, openai-completions "
        "(default: prompt)",
    )
    parser.add_argument(
        "--body",
        metavar="JSON",
        default=None,
        help="the body as a JSON template instead, with {prompt} inside a string, e.g. "
        '\'{"input": "{prompt}", "stream": true}\'',
    )
    parser.add_argument(
        "--header",
        action="append",
        metavar="'NAME: VALUE'",
        default=None,
        help="a header sent with every stream (auth); repeatable",
    )
    parser.add_argument(
        "--response-shape",
        choices=RESPONSE_SHAPES,
        metavar="SHAPE",
        default=None,
        help="how content is read: auto (from Content-Type and the first bytes), sse-json "
        "(SSE with JSON events; see --token-field), openai-chat, openai-completions, "
        "text (any body: each read is content), ndjson (one JSON object per line) "
        "(default: auto)",
    )
    parser.add_argument(
        "--token-field",
        metavar="PATH",
        default=None,
        help="where a JSON event keeps its text, dotted (digits index lists): token, "
        "delta.text, choices.0.delta.content (sse-json default: token; ndjson default: "
        "message.content, response or token)",
    )


def shapes_given(args: argparse.Namespace) -> bool:
    """Whether any shape flag was given on the command line."""
    return any(getattr(args, dest, None) is not None for dest in _DESTS)


def shapes_from_args(args: argparse.Namespace) -> tuple[RequestShape, ResponseShape]:
    """The shapes the flags describe; ``ValueError`` with a readable reason otherwise."""
    preset = getattr(args, "request_shape", None)
    body = getattr(args, "body", None)
    if preset is not None and body is not None:
        raise ValueError("--body replaces --request-shape: give one of them")
    request = RequestShape.from_options(
        preset or "prompt", body=body, headers=getattr(args, "header", None) or ()
    )
    response = ResponseShape(
        getattr(args, "response_shape", None) or "auto", getattr(args, "token_field", None)
    )
    return request, response
