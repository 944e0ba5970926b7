"""The body's first event, read before the response starts.

Until the status line is sent, an upstream failure can still be an HTTP status
(429 + Retry-After, 502, 504) rather than a 200 whose body says "error". So a
handler pulls the first event out of its body generator (which raises what
fails before its first token) and only then builds the response around the rest.

Before the response starts nothing in Starlette listens for the client leaving,
so a client who gives up during a long TTFT would cost a whole generation. The
wait is raced against ``http.disconnect``: the generator is cancelled where it
awaits the upstream, and its ``async with`` closes the stream
(tests/integration/service/test_disconnect.py::test_client_leaves_before_first_token).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

import anyio
import anyio.to_thread
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .context import StreamContext
from .errors import error_response

T = TypeVar("T")
Body = AsyncIterator[bytes] | Iterator[bytes]


async def unless_client_leaves(request: Request, work: Callable[[], Awaitable[T]]) -> T | None:
    """``await work()``, cancelled (``None``) if the client disconnects first.

    What ``work`` raises is raised here as is (not in an ExceptionGroup).
    """
    done: list[T] = []
    failed: list[Exception] = []
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        group.start_soon(watch)
        try:
            done.append(await work())
        except Exception as exc:  # raised below: inside the group it would be wrapped
            failed.append(exc)
        group.cancel_scope.cancel()
    if failed:
        raise failed[0]
    return done[0] if done else None


class PeekedBody:
    """A body whose first event has been read: that event, then the rest.

    ``aclose()`` closes an async body even when no event was taken from here
    yet (the response died in its first ``send()``). A sync body is iterated in
    the thread pool and, as Starlette does it, never closed.
    """

    def __init__(self, body: Body) -> None:
        self._first: bytes | None = None
        self._body: AsyncIterator[bytes] = (
            iterate_in_threadpool(body) if isinstance(body, Iterator) else body
        )
        self._source = body if isinstance(body, Iterator) else None

    async def read_first(self) -> bool:
        """Read the first event; False if the body had none."""
        if self._source is not None:
            self._first = await anyio.to_thread.run_sync(next, self._source, None)
            self._source = None  # from here on only the pool iterator holds it
        else:
            self._first = await anext(self._body, None)
        return self._first is not None

    def __aiter__(self) -> PeekedBody:
        return self

    async def __anext__(self) -> bytes:
        first, self._first = self._first, None
        return first if first is not None else await anext(self._body)

    async def aclose(self) -> None:
        aclose = getattr(self._body, "aclose", None)
        if aclose is not None:
            await aclose()


async def peek_first_event(
    request: Request, ctx: StreamContext, body: Body
) -> PeekedBody | Response:
    """``body`` with its first event read, or the response to send instead.

    An upstream failure raised before the first event becomes its HTTP error
    response; a client who left first gets a 204 nobody reads.
    """
    peeked = PeekedBody(body)
    try:
        read = await unless_client_leaves(request, peeked.read_first)
    except Exception as exc:
        failure = ctx.upstream_failure(exc, request)
        if failure is None:
            raise
        return error_response(failure.as_service_error())
    if read is None:
        ctx.metrics.client_disconnects.inc()
        return Response(status_code=204)
    return peeked
