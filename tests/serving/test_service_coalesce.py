"""Requests that reach the event loop in the same turn are scored in one call, and each
gets exactly its own answers; a failure reaches every waiting request."""

import asyncio

import pytest

from serving.server.coalesce import Coalescer


def test_concurrent_requests_share_one_call_and_get_their_own_answers():
    calls = []

    def score(records):
        calls.append([r["subscriber_id"] for r in records])
        return [{"subscriber_id": r["subscriber_id"], "doubled": 2 * r["x"]} for r in records]

    coalesce = Coalescer(score)

    async def requests():
        one = coalesce([{"subscriber_id": 1, "x": 1.5}])
        two = coalesce([{"subscriber_id": 2, "x": 2.0}, {"subscriber_id": 3, "x": 0.25}])
        three = coalesce([{"subscriber_id": 4, "x": -1.0}])
        return await asyncio.gather(one, two, three)

    answers = asyncio.run(requests())
    assert calls == [[1, 2, 3, 4]]
    assert answers == [
        [{"subscriber_id": 1, "doubled": 3.0}],
        [{"subscriber_id": 2, "doubled": 4.0}, {"subscriber_id": 3, "doubled": 0.5}],
        [{"subscriber_id": 4, "doubled": -2.0}],
    ]
    assert (coalesce.turns, coalesce.requests) == (1, 3)


def test_requests_in_later_turns_get_their_own_call():
    calls = []
    coalesce = Coalescer(lambda records: calls.append(len(records)) or records)

    async def one_after_another():
        return [await coalesce([{"subscriber_id": i}]) for i in range(3)]

    assert asyncio.run(one_after_another()) == [[{"subscriber_id": i}] for i in range(3)]
    assert calls == [1, 1, 1]


def test_a_failure_reaches_every_waiting_request():
    def score(records):
        raise ValueError("model: 3 stored category lists for 4 categorical features")

    coalesce = Coalescer(score)

    async def requests():
        return await asyncio.gather(
            coalesce([{"subscriber_id": 1}]),
            coalesce([{"subscriber_id": 2}]),
            return_exceptions=True,
        )

    errors = asyncio.run(requests())
    assert len(errors) == 2
    for e in errors:
        with pytest.raises(ValueError, match="3 stored category lists"):
            raise e
