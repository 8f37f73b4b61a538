"""BentoML's per-request traffic timeout, without the timer it leaves armed.

BentoML 1.4's `TimeoutMiddleware` (`bentoml._internal.server.http.traffic`) arms
`loop.call_later(timeout, ...)` for every request and never cancels it, so each request's
waiter and context (its tracing span with it) stay alive for the whole timeout after the
answer has gone. At ~600 requests/s per worker and a 5 s timeout that is ~3,000 finished
requests' objects alive at any moment: they outlive the young garbage-collector generations
and fill the oldest one, whose full collections then took 50-240 ms every 1-2 s, stopping
every request in flight on that worker. That was the p99 at concurrency 32 in
`bench/serving.py` (seen with `gc.callbacks`: 190,000 unfrozen objects in the oldest
generation, mostly `TimerHandle`s, contexts and span lists). The timeout cannot be turned off
in the service config (it must be a positive number), so `cancel_timers_on_answer()` gives
the middleware the same behaviour with the timer cancelled as soon as the request ends.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import JSONResponse


async def _call(self, scope: dict, receive: Any, send: Any) -> None:
    """`TimeoutMiddleware.__call__` as BentoML writes it, plus `timer.cancel()`."""
    if scope["type"] not in ("http", "websocket"):
        return await self.app(scope, receive, send)
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    timer = loop.call_later(self.timeout, self._set_timer_out, waiter)

    async def _send(message: dict) -> None:
        if not waiter.done():
            waiter.set_result(None)
        await send(message)

    fut = asyncio.ensure_future(self.app(scope, receive, _send), loop=loop)
    try:
        await waiter
    except TimeoutError:
        if fut.cancel():
            body = {"error": f"Not able to process the request in {self.timeout} seconds"}
            await JSONResponse(body, status_code=504)(scope, receive, send)
    else:
        await fut
    finally:
        timer.cancel()


def cancel_timers_on_answer() -> None:
    """Make BentoML's timeout middleware cancel its timer when a request ends (idempotent;
    called in each worker before it serves)."""
    from bentoml._internal.server.http.traffic import TimeoutMiddleware

    TimeoutMiddleware.__call__ = _call  # type: ignore[method-assign]
