"""Missing X-Accel-Buffering: the response no longer tells nginx not to buffer it.

The commit: "tidy the response headers", keeping ``Cache-Control`` and dropping
``X-Accel-Buffering: no``. Straight to the service nothing changes; behind nginx with
gzip on (``text/event-stream`` in ``gzip_types``), nginx compresses and buffers the
reply, and the client gets it in a few bursts (docs/behaviours.md#proxies).

Caught by: ``buffering.nginx_gzip`` (only behind nginx+gzip; ``buffering.direct``
still streams).
"""

from __future__ import annotations

from typing import ClassVar

from tests.gate.corpus import service


class PlainHeadersRelay(service.ChatRelay):
    headers: ClassVar[dict[str, str]] = {"Cache-Control": "no-cache"}


app = service.make_app(PlainHeadersRelay)
