"""Request coalescing: under load, the records of every request that reached the event loop in
the same turn are scored in one call, so the scoring path's fixed cost is paid once per
turn, not once per request."""

from __future__ import annotations

import asyncio
from typing import Any


class Coalescer:
    """Score together the records of every request that reaches the event loop in the same
    turn: one `score_columns` call per turn instead of one per request. Rows are scored
    independently, so each request's answers are the ones it would get alone."""

    def __init__(self, score) -> None:
        self.score = score  # records -> answers, one per record, in order
        self.pending: list[tuple[list[dict], asyncio.Future]] = []
        self.turns = self.requests = 0

    async def __call__(self, records: list[dict]) -> list[dict[str, Any]]:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((records, future))
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        self.turns += 1
        self.requests += len(batch)
        try:
            answers = self.score([r for records, _ in batch for r in records])
        except Exception as e:  # every waiting request learns of it, none hangs
            for _, future in batch:
                future.set_exception(e)
            return
        lo = 0
        for records, future in batch:
            future.set_result(answers[lo : lo + len(records)])
            lo += len(records)
