"""BentoML's traffic timeout with its timer cancelled when a request ends
(serving/server/traffic.py)."""

from __future__ import annotations

import asyncio

import pytest
from bentoml._internal.server.http.traffic import TimeoutMiddleware

from serving.server.traffic import _call, cancel_timers_on_answer


async def _ok(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _slow(scope, receive, send) -> None:
    await asyncio.sleep(1.0)
    await _ok(scope, receive, send)


async def _request(app, timeout: float) -> tuple[list[dict], list]:
    """One HTTP request through the middleware; the messages sent and the middleware's timers
    still armed on the loop."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    await TimeoutMiddleware(app, timeout=timeout)({"type": "http"}, receive, send)
    loop = asyncio.get_running_loop()
    live = [
        h
        for h in loop._scheduled  # type: ignore[attr-defined]
        if not h.cancelled() and getattr(h._callback, "__name__", "") == "_set_timer_out"
    ]
    return sent, live


@pytest.fixture
def patched():
    original = TimeoutMiddleware.__call__
    yield cancel_timers_on_answer
    TimeoutMiddleware.__call__ = original


def test_bentoml_middleware_leaves_its_timer_armed_after_the_answer():
    """The leak this module exists for: if BentoML fixes it, this fails and the patch can go."""
    sent, live = asyncio.run(_request(_ok, timeout=30))
    assert sent[0]["status"] == 200
    assert len(live) == 1


def test_patched_middleware_cancels_its_timer_when_the_request_ends(patched):
    patched()
    assert TimeoutMiddleware.__call__ is _call
    sent, live = asyncio.run(_request(_ok, timeout=30))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200
    assert live == []


def test_patched_middleware_still_answers_504_past_the_timeout(patched):
    patched()
    sent, live = asyncio.run(_request(_slow, timeout=0.05))
    assert sent[0]["status"] == 504
    assert b"0.05 seconds" in sent[1]["body"]
    assert live == []
