"""What reaches the handlers: bounded bodies, JSON only, and /predict's checks first.

An ASGI middleware, in front of BentoML:

- a POST of another media type than JSON gets 415 (BentoML's form parser answers some
  malformed forms with 500);
- a body announced (Content-Length) larger than `RETAIN_MAX_BODY_BYTES` gets 413 before a
  byte is read, and every body is read here counting the bytes actually received, whatever
  the headers say (a `Content-Length: 10` with `Transfer-Encoding: chunked` and 10 MiB of
  chunks is refused at the limit too);
- a /predict body is checked by `serving.server.gate` (limits before records, at most a
  fixed number of problems kept), a /batch/submit body by `serving.server.batch_gate`, and
  refused with 400 in the one error shape (`serving.server.errors`); only a body that
  passes reaches BentoML.

The default limit (`serving.config.DEFAULT_MAX_BODY_BYTES`) fits the largest request the API
accepts. Building the middleware, in each worker after BentoML set up its logging, also
masks phone numbers in every log handler (`serving.server.privacy`).
"""

from __future__ import annotations

from serving.config import max_body_bytes
from serving.server.batch_gate import check_batch
from serving.server.errors import send_error
from serving.server.gate import check_predict
from serving.server.privacy import redact_logs

PREDICT = "/predict"
BATCH_SUBMIT = "/batch/submit"  # the batch task's queue (`serving.server.batch_gate`)


class BodyLimitMiddleware:
    """Refuse bodies over `limit` bytes (413), non-JSON POSTs (415) and /predict bodies that
    fail `check_predict` (400); hand on the rest, body replayed."""

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
            await send_error(send, 415, "send the request body as application/json",
                             scope=scope)  # fmt: skip
            return
        announced = _content_length(scope["headers"])
        if announced is not None and announced > self.limit:
            await self._refuse(scope, send)
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                await self.app(scope, _replay([message]), send)
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, send)
                return
            more = message.get("more_body", False)
        check = {PREDICT: check_predict, BATCH_SUBMIT: check_batch}.get(scope["path"])
        if scope.get("method") == "POST" and check is not None:
            refused = check(bytes(body))
            if refused is not None:
                await send_error(send, 400, refused[0], refused[1], scope=scope)
                return
        message = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay([message], receive), send)

    async def _refuse(self, scope, send) -> None:
        await send_error(
            send,
            413,
            f"request body over {self.limit:,} bytes (RETAIN_MAX_BODY_BYTES); send fewer "
            "subscribers per request, or use `retain score` for a batch",
            headers=[(b"connection", b"close")],
            scope=scope,
        )


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
