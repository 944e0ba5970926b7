"""Optional bearer-token auth, as a FastAPI dependency built from the settings."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request

from .errors import ServiceError

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer_dependency(token: str | None) -> Callable[[Request], Awaitable[None]]:
    """A dependency that lets everything through when ``token`` is ``None``."""
    expected = token.encode() if token is not None else None

    async def require_bearer(request: Request) -> None:
        if expected is None:
            return
        header = request.headers.get("authorization")
        if header is None:
            raise ServiceError(
                401, "unauthorized", "missing 'Authorization: Bearer <token>'", headers=_CHALLENGE
            )
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            given.strip().encode(), expected
        ):
            raise ServiceError(401, "unauthorized", "invalid bearer token", headers=_CHALLENGE)

    return require_bearer
