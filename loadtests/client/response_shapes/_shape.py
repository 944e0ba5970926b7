"""The response shape model and the pure functions that read a stream with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from ..records import RequestRecord
from ..token_field import parse_token_field
from ..tokens import StreamResult
from ._auto import AutoReader
from ._ndjson import NDJSONReader
from ._reader import StreamReader
from ._sse import SSEReader
from ._text import TextReader

__all__ = ["RESPONSE_SHAPES", "ResponseShape", "ResponseShapeName", "read_reads", "read_record"]

ResponseShapeName = Literal[
    "auto", "sse-json", "openai-chat", "openai-completions", "text", "ndjson"
]
RESPONSE_SHAPES: tuple[ResponseShapeName, ...] = get_args(ResponseShapeName)
_WITH_FIELD = ("auto", "sse-json", "ndjson")


@dataclass(frozen=True, slots=True)
class ResponseShape:
    """How content is read from a response body (``--response-shape``, ``--token-field``).

    ``token_field`` (a dotted path) is for ``sse-json`` (default ``token``), ``ndjson``
    (default: the common shapes) and ``auto`` (used if it picks one of those).
    """

    name: ResponseShapeName = "auto"
    token_field: str | None = None

    def __post_init__(self) -> None:
        if self.name not in RESPONSE_SHAPES:
            raise ValueError(
                f"unknown response shape {self.name!r}; one of {', '.join(RESPONSE_SHAPES)}"
            )
        if self.token_field is not None:
            if self.name not in _WITH_FIELD:
                raise ValueError(
                    f"--token-field applies to {', '.join(_WITH_FIELD)}, not {self.name}"
                )
            parse_token_field(self.token_field)

    @property
    def label(self) -> str:
        """``"sse-json (token)"``, ``"openai-chat"``, ``"auto"``, ..."""
        field = self.token_field or ("token" if self.name == "sse-json" else None)
        return f"{self.name} ({field})" if field else self.name

    def reader(self, content_type: str | None = None) -> StreamReader:
        """A fresh incremental reader; ``content_type`` is the response's (for ``auto``)."""
        if self.name == "auto":
            return AutoReader(content_type, self.token_field)
        if self.name == "text":
            return TextReader()
        if self.name == "ndjson":
            return NDJSONReader(self.token_field)
        return SSEReader(self.name, self.token_field)

    def read(self, record: RequestRecord) -> StreamResult:
        """:func:`read_record` with this shape."""
        return read_record(record, self)


def read_reads(
    reads: Iterable[tuple[int, bytes]],
    shape: ResponseShape,
    *,
    content_type: str | None = None,
    complete: bool = False,
) -> StreamResult:
    """Read timed reads ``[(arrival_ns, bytes)]`` with ``shape``; pure."""
    reader = shape.reader(content_type)
    for arrival_ns, data in reads:
        reader.feed(arrival_ns, data)
    return reader.finish(complete=complete)


def read_record(record: RequestRecord, shape: ResponseShape) -> StreamResult:
    """A record's reads, with its response Content-Type and whether its body ended."""
    return read_reads(
        record.reads, shape, content_type=record.content_type, complete=record.complete
    )
