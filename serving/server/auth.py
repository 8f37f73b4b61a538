"""Optional API key, checked on every call before BentoML sees the request.

An ASGI middleware, so it guards every route the service exposes. Health, readiness,
metrics and the OpenAPI documents stay open: probes and scrapers carry no secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from serving.server.errors import send_error

OPEN_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics", "/docs", "/docs.json", "/"})


class ApiKeyMiddleware:
    """Reject calls without the key in `X-API-Key` or `Authorization: Bearer` with 401."""

    def __init__(self, app, key: str | None = None) -> None:
        self.app = app
        # Read in the worker that builds the app: that is the service's entry point.
        key = key if key is not None else os.environ.get("RETAIN_API_KEY", "")
        self.key = _digest(key.encode()) if key else None

    async def __call__(self, scope, receive, send) -> None:
        if self.key is None or scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        # Digests of equal length, compared in constant time: the time taken says nothing of
        # how much of the key, or of its length, a guess got right.
        if any(hmac.compare_digest(_digest(v), self.key) for v in _offered(scope["headers"])):
            await self.app(scope, receive, send)
            return
        await send_error(
            send,
            401,
            "API key missing or wrong: send it in the X-API-Key header",
            headers=[(b"www-authenticate", b"Bearer")],
            scope=scope,
        )


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def _offered(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    out = []
    for name, value in headers:
        name = name.lower()
        if name == b"x-api-key":
            out.append(value.strip())
        elif name == b"authorization" and value[:7].lower() == b"bearer ":
            out.append(value[7:].strip())
    return out
