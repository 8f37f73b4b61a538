"""The one error answer of the HTTP service, whatever refused the request.

    {"error": "<one line>", "problems": [{"field": "...", "problem": "..."}],
     "problems_total": <int>}

`problems` holds at most `MAX_PROBLEMS` entries, whatever the input, and `problems_total`
says how many there were in all; field names are cut to `MAX_FIELD` characters. So an
error answer, and its one log line, stay a few KB even for a request of a thousand broken
records. Client errors are logged once, at WARNING, on one line, without the input values
(long numbers are masked as well, `serving.server.privacy`).
"""

from __future__ import annotations

import json
import logging

from serving.server.privacy import redact

log = logging.getLogger("serving.requests")

MAX_PROBLEMS = 20
MAX_FIELD = 80


class Problems:
    """Collects at most `MAX_PROBLEMS` (field, problem) pairs, counting all of them."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []
        self.total = 0

    def add(self, field: str, problem: str, count: int = 1) -> None:
        self.total += count
        if len(self.items) < MAX_PROBLEMS:
            self.items.append({"field": _cut(field), "problem": _cut(problem, 160)})

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_PROBLEMS

    def __bool__(self) -> bool:
        return self.total > 0


def _cut(text: str, n: int = MAX_FIELD) -> str:
    text = redact(str(text))
    return text if len(text) <= n else text[: n - 3] + "..."


def error_body(error: str, problems: Problems | None = None) -> bytes:
    problems = problems or Problems()
    body = {"error": _cut(error, 400), "problems": problems.items,
            "problems_total": problems.total}  # fmt: skip
    return json.dumps(body, separators=(",", ":")).encode()


def log_refusal(method: str, path: str, status: int, error: str, problems: Problems | None):
    """One WARNING line per refused request: the status, the summary and the first problem."""
    first = ""
    if problems and problems.items and "; first: " not in error:
        p = problems.items[0]
        first = f"; first: {p['field']}: {p['problem']}"
    log.warning("%s %s %d: %s%s", method, _cut(path, 60), status, _cut(error, 200), first)


async def send_error(
    send,
    status: int,
    error: str,
    problems: Problems | None = None,
    headers: list[tuple[bytes, bytes]] = (),
    scope: dict | None = None,
) -> None:
    """Answer `status` with the one error shape, and log the refusal once."""
    body = error_body(error, problems)
    if scope is not None:
        log_refusal(scope.get("method", ""), scope.get("path", ""), status, error, problems)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
