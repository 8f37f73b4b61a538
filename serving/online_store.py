"""The online feature store: the latest snapshot's vectors, keyed by subscriber_id.

The batch job writes it; the HTTP service reads it to answer "this subscriber is on the
line" from an id alone. Two backends behind one interface:

- `sqlite:///path/features.sqlite` (embedded default): written to a temporary file and
  renamed into place, so readers see the old snapshot or the new one, never a mix;
- `redis://host:port/db` for several replicas: vectors are written under a generation
  prefix (as_of and schema version), the meta key is switched last, then the previous
  generation is deleted.

Each vector is stored as JSON (floats round-trip exactly), with a meta record holding the
feature schema version and as_of, which the service checks at start-up.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from features.contract.sources import replacing
from features.vector import split_valid

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The online store cannot be used; the message says what to do."""


@dataclass(frozen=True)
class StoreMeta:
    feature_schema_version: str
    as_of: date
    rows: int


class OnlineStore(Protocol):
    uri: str

    def meta(self) -> StoreMeta: ...

    def get(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """The vectors of the ids found (with `subscriber_id` and `as_of`)."""
        ...


def encode_row(row: Mapping[str, Any]) -> str:
    """One vector as JSON: NaN becomes null, dates ISO, floats exact."""
    clean = {}
    for k, v in row.items():
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and math.isnan(v):
            v = None
        elif isinstance(v, date):
            v = v.isoformat()
        clean[k] = v
    return json.dumps(clean, separators=(",", ":"))


def decode_row(text: str) -> dict[str, Any]:
    row = json.loads(text)
    row["as_of"] = date.fromisoformat(row["as_of"])
    return row


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.uri = f"sqlite:///{self.path}"
        if not self.path.is_file():
            raise StoreError(
                f"online store {self.path} does not exist; run `retain score` to materialise "
                "it, or set RETAIN_ONLINE_STORE=none to serve full feature records only"
            )
        self._local = threading.local()
        self.meta()  # fails now, not on the first request, when the file is not a store

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.con = con
        return con

    def meta(self) -> StoreMeta:
        try:
            kv = dict(self._con().execute("SELECT key, value FROM meta").fetchall())
            return StoreMeta(
                kv["feature_schema_version"], date.fromisoformat(kv["as_of"]), int(kv["rows"])
            )
        except (sqlite3.DatabaseError, KeyError) as e:
            raise StoreError(
                f"online store {self.path} is not a Retain feature store ({e}); delete it and "
                "run `retain score` to materialise it again"
            ) from e

    def get(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._con().execute(
            f"SELECT subscriber_id, vector FROM vectors WHERE subscriber_id IN ({marks})", ids
        )
        return {sid: decode_row(v) for sid, v in rows}


def write_sqlite(
    path: Path, chunks: Iterable[pd.DataFrame], schema_version: str, as_of: date
) -> int:
    """Write the vectors of `chunks` to a new SQLite store at `path`, atomically."""
    rows = 0
    with replacing(Path(path)) as tmp:
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("CREATE TABLE vectors (subscriber_id INTEGER PRIMARY KEY, vector TEXT)")
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        for chunk in chunks:
            con.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                ((int(r["subscriber_id"]), encode_row(r)) for r in chunk.to_dict("records")),
            )
        rows = con.execute("SELECT count(*) FROM vectors").fetchone()[0]
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                ("feature_schema_version", schema_version),
                ("as_of", as_of.isoformat()),
                ("rows", str(rows)),
            ],
        )
        con.commit()
        con.close()
    return rows


class RedisStore:
    META = "retain:online:meta"

    def __init__(self, uri: str, client=None) -> None:
        import redis

        self.uri = uri
        self.client = client or redis.Redis.from_url(uri, socket_connect_timeout=3)
        try:
            self.client.ping()
        except redis.RedisError as e:
            raise StoreError(
                f"online store {uri} is unreachable ({type(e).__name__}); start Redis or "
                "check RETAIN_ONLINE_STORE"
            ) from e
        self._prefix = None
        self.meta()

    def meta(self) -> StoreMeta:
        kv = {k.decode(): v.decode() for k, v in self.client.hgetall(self.META).items()}
        if "generation" not in kv:
            raise StoreError(
                f"online store {self.uri} holds no Retain features; run `retain score "
                f"--online-store {self.uri}` to materialise them"
            )
        self._prefix = f"retain:online:{kv['generation']}:"
        return StoreMeta(
            kv["feature_schema_version"], date.fromisoformat(kv["as_of"]), int(kv["rows"])
        )

    def get(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        values = self.client.mget([f"{self._prefix}{i}" for i in ids])
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


def open_store(uri: str) -> OnlineStore:
    """The store at `uri` (sqlite:///path or redis://host:port/db), checked readable."""
    if uri.startswith("sqlite:///"):
        return SqliteStore(Path(uri.removeprefix("sqlite:///")))
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(uri)
    raise StoreError(
        f"RETAIN_ONLINE_STORE: '{uri}' is not sqlite:///path, redis://host:port/db or none"
    )


def write_store(uri: str, chunks: Iterable[pd.DataFrame], schema_version: str, as_of: date) -> int:
    """Materialise vectors into the store at `uri`; returns the rows it now holds."""
    if uri.startswith("sqlite:///"):
        return write_sqlite(Path(uri.removeprefix("sqlite:///")), chunks, schema_version, as_of)
    if uri.startswith(("redis://", "rediss://", "unix://")):
        return write_redis(uri, chunks, schema_version, as_of)
    raise StoreError(f"online store: '{uri}' is not sqlite:///path or redis://host:port/db")


def materialise(chunks: Iterator[pd.DataFrame], uri: str, as_of: date, schema_version: str) -> int:
    """Write the valid vectors of `chunks` to the online store at `uri` (see
    `serving.online_store`); rejected rows are not served."""

    def valid() -> Iterator[pd.DataFrame]:
        seen: set[int] = set()
        for chunk in chunks:
            ok, _ = split_valid(chunk.reset_index(drop=True))
            ok = ok[~ok["subscriber_id"].isin(seen)]
            seen.update(int(i) for i in ok["subscriber_id"])
            yield ok

    rows = write_store(uri, valid(), schema_version, as_of)
    log.info("online store %s: %d vectors as of %s", uri, rows, as_of)
    return rows
