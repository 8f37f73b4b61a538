"""The online store on Redis, for several replicas (see `serving.online_store`)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from serving.online_store import StoreBusy, StoreError, StoreMeta, decode_row, encode_row

RECHECK_S = 0.25


class RedisStore:
    META = "retain:online:meta"

    def __init__(self, uri: str, client=None) -> None:
        import redis

        self.uri = uri
        self.client = client or redis.Redis.from_url(
            uri, socket_connect_timeout=3, socket_timeout=1
        )
        try:
            self.client.ping()
        except redis.RedisError as e:
            raise StoreError(
                f"online store {uri} is unreachable ({type(e).__name__}); start Redis or "
                "check RETAIN_ONLINE_STORE"
            ) from e
        kv = self._meta()
        self.generation = kv["generation"]  # read for as long as this object lives
        self._prefix = f"retain:online:{self.generation}:"
        self.as_of = date.fromisoformat(kv["as_of"])
        self._checked = time.monotonic()

    def replaced(self) -> bool:
        """True when the meta key names another generation than the one this store reads
        (asked at most every `RECHECK_S`: one round trip, not one per request)."""
        import redis

        if time.monotonic() - self._checked < RECHECK_S:
            return False
        self._checked = time.monotonic()
        try:
            now = self.client.hget(self.META, "generation")
        except redis.RedisError:
            return True
        return now is None or now.decode() != self.generation

    def _meta(self) -> dict[str, str]:
        import redis

        try:
            kv = {k.decode(): v.decode() for k, v in self.client.hgetall(self.META).items()}
        except redis.RedisError as e:
            raise StoreBusy(f"online store {self.uri} unreachable ({type(e).__name__})") from e
        if "generation" not in kv:
            raise StoreError(
                f"online store {self.uri} holds no Retain features; run `retain score "
                f"--online-store {self.uri}` to materialise them"
            )
        return kv

    def meta(self) -> StoreMeta:
        """The meta record in place now (which may already name a newer generation)."""
        kv = self._meta()
        return StoreMeta(
            kv["feature_schema_version"], date.fromisoformat(kv["as_of"]), int(kv["rows"])
        )

    def get(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        import redis

        try:
            values = self.client.mget([f"{self._prefix}{i}" for i in ids])
        except redis.RedisError as e:
            raise StoreBusy(f"online store {self.uri} unreachable ({type(e).__name__})") from e
        return {i: decode_row(v) for i, v in zip(ids, values, strict=True) if v is not None}


def write_redis(
    uri: str, chunks: Iterable[pd.DataFrame], schema_version: str, as_of: date, client=None
) -> int:
    """Write a new generation of vectors, switch the meta key to it, drop the old one."""
    import redis

    client = client or redis.Redis.from_url(uri, socket_connect_timeout=3)
    generation = f"{as_of.isoformat()}:{schema_version}"
    prefix = f"retain:online:{generation}:"
    old = client.hget(RedisStore.META, "generation")
    rows = 0
    for chunk in chunks:
        pipe = client.pipeline(transaction=False)
        for r in chunk.to_dict("records"):
            pipe.set(f"{prefix}{int(r['subscriber_id'])}", encode_row(r))
        pipe.execute()
        rows += len(chunk)
    client.hset(
        RedisStore.META,
        mapping={
            "generation": generation,
            "as_of": as_of.isoformat(),
            "feature_schema_version": schema_version,
            "rows": str(rows),
        },
    )
    if old is not None and old.decode() != generation:
        stale = f"retain:online:{old.decode()}:*"
        batch = []
        for key in client.scan_iter(match=stale, count=10_000):
            batch.append(key)
            if len(batch) >= 10_000:
                client.unlink(*batch)
                batch = []
        if batch:
            client.unlink(*batch)
    return rows
