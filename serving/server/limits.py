"""Limits on what reaches the handlers, checked before BentoML reads a byte of the body.

An ASGI middleware: a body announced (Content-Length) or found (chunked) to be larger than
`RETAIN_MAX_BODY_BYTES` gets 413 with a JSON message, and the handler never runs. The
default (`serving.config.DEFAULT_MAX_BODY_BYTES`) fits the largest request the API
accepts: `MAX_SUBSCRIBERS` full feature records. The API speaks JSON only: a POST of
another media type gets 415 (BentoML's form parser answers some malformed forms with 500).
Building the middleware, in each worker after BentoML set up its logging, also masks
phone numbers in every log handler (`serving.server.privacy`).
"""

from __future__ import annotations

import json

from serving.config import max_body_bytes
from serving.server.privacy import redact_logs


class BodyLimitMiddleware:
    """Answer 413 to requests whose body exceeds `limit` bytes."""

    def __init__(self, app, limit: int | None = None) -> None:
        self.app = app
        # Read in the worker that builds the app: that is the service's entry point.
        self.limit = limit if limit is not None else max_body_bytes()
        redact_logs()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "POST" and not _is_json(scope["headers"]):
            await _answer(send, 415, "send the request body as application/json")
            return
        announced = _content_length(scope["headers"])
        if announced is not None:
            if announced > self.limit:
                await self._refuse(send)
                return
            # the server frames the body by Content-Length: it cannot grow past it
            await self.app(scope, receive, send)
            return
        # chunked, or no length given: read it here, up to the limit, then hand it on
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(message)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, receive), send)

    async def _refuse(self, send) -> None:
        await _answer(
            send,
            413,
            f"request body over {self.limit:,} bytes (RETAIN_MAX_BODY_BYTES); send fewer "
            "subscribers per request, or use `retain score` for a batch",
        )


async def _answer(send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    """True when the request declares no media type or a JSON one."""
    for name, value in headers:
        if name.lower() == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(messages: list[dict], then=None):
    queue = list(messages)

    async def receive() -> dict:
        if queue:
            return queue.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
