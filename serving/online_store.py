"""The online feature store: the latest snapshot's vectors, keyed by subscriber_id.

The batch job writes it; the HTTP service reads it to answer "this subscriber is on the
line" from an id alone. Two backends behind one interface:

- `sqlite:///path/features.sqlite` (embedded default): written to a temporary file and
  renamed into place, so readers see the old snapshot or the new one, never a mix;
- `redis://host:port/db` for several replicas (`serving.redis_store`): vectors are written
  under a generation prefix (as_of and schema version), the meta key is switched last, then
  the previous generation is deleted.

Every store names the snapshot it reads (`generation`) and says when another one has been
put in its place (`replaced()`), so the service reopens it between requests, never within
one (`serving.server.live`).

Each vector is stored as JSON (floats round-trip exactly), with a meta record holding the
feature schema version and as_of, which the service checks at start-up.
"""

from __future__ import annotations

import json
import logging
import math
import os
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


class StoreBusy(StoreError):
    """The store is locked or unreachable for now: retry shortly (the HTTP answer is 503
    with Retry-After)."""


@dataclass(frozen=True)
class StoreMeta:
    feature_schema_version: str
    as_of: date
    rows: int


class OnlineStore(Protocol):
    uri: str
    generation: str  # names the snapshot read: as_of and the file's or key's identity

    def replaced(self) -> bool:
        """True when a newer snapshot (or none) is in place of the one read."""
        ...

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
        st = self.path.stat()
        self.identity = (st.st_dev, st.st_ino, st.st_mtime_ns)  # the file this store reads
        self.as_of = self.meta().as_of  # fails now, not on the first request, if not a store
        self.generation = f"{self.as_of}#{st.st_ino}.{st.st_mtime_ns}"

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            # timeout 0: a locked file is refused at once (503, retry), never waited on with
            # the event loop blocked (sqlite3's default waits 5 s)
            con = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, timeout=0
            )
            self._local.con = con
        return con

    def replaced(self) -> bool:
        """True when the path no longer names the file this store opened (a new snapshot was
        renamed into place, or the file was deleted): one stat, cheap enough per request."""
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino, st.st_mtime_ns) != self.identity

    def meta(self) -> StoreMeta:
        try:
            kv = dict(self._con().execute("SELECT key, value FROM meta").fetchall())
            return StoreMeta(
                kv["feature_schema_version"], date.fromisoformat(kv["as_of"]), int(kv["rows"])
            )
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise StoreBusy(f"online store {self.path} is locked ({e}); retry") from e
            raise StoreError(f"online store {self.path}: {e}") from e
        except (sqlite3.DatabaseError, KeyError) as e:
            raise StoreError(
                f"online store {self.path} is not a Retain feature store ({e}); delete it and "
                "run `retain score` to materialise it again"
            ) from e

    def get(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        try:
            rows = (
                self._con()
                .execute(
                    f"SELECT subscriber_id, vector FROM vectors WHERE subscriber_id IN ({marks})",
                    ids,
                )
                .fetchall()
            )
        except sqlite3.OperationalError as e:
            raise StoreBusy(f"online store {self.path} cannot be read now ({e}); retry") from e
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


def open_store(uri: str) -> OnlineStore:
    """The store at `uri` (sqlite:///path or redis://host:port/db), checked readable."""
    if uri.startswith("sqlite:///"):
        return SqliteStore(Path(uri.removeprefix("sqlite:///")))
    if uri.startswith(("redis://", "rediss://", "unix://")):
        from serving.redis_store import RedisStore

        return RedisStore(uri)
    raise StoreError(
        f"RETAIN_ONLINE_STORE: '{uri}' is not sqlite:///path, redis://host:port/db or none"
    )


def write_store(uri: str, chunks: Iterable[pd.DataFrame], schema_version: str, as_of: date) -> int:
    """Materialise vectors into the store at `uri`; returns the rows it now holds."""
    if uri.startswith("sqlite:///"):
        return write_sqlite(Path(uri.removeprefix("sqlite:///")), chunks, schema_version, as_of)
    if uri.startswith(("redis://", "rediss://", "unix://")):
        from serving.redis_store import write_redis

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
