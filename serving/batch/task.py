"""A batch the HTTP service runs in the background (its `/batch` task endpoint): the same
`retain score` job (`serving.batch.job.run`) on the service's pinned model set.

A batch is either a list of subscriber ids, whose vectors are read from the online store in
bounded slices and written to a Parquet file first, or the name of a Parquet file of feature
vectors inside the configured input folder (`RETAIN_BATCH_INPUT`; nothing outside it is
read). Each task writes under its own folder of `RETAIN_BATCH_OUTPUT` (default
RETAIN_HOME/data/tasks/<task id>/): `vectors.parquet` for ids, and `scores/` with what
`retain score` writes (scores, rejects, reconciliation, campaign list, report). The online
store is never rewritten by a task. Ids the store does not hold cannot be scored: they are
counted in the answer (`unknown_subscribers`, the first few listed), not silently dropped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from features.definitions import FEATURES
from features.settings import Settings
from serving.batch.job import JobError, ScoreJob, run, vector_dates
from serving.online_store import OnlineStore
from serving.registry import Models

MAX_IDS = 5_000_000  # per task; the body limit (RETAIN_MAX_BODY_BYTES) usually binds first
STORE_SLICE = 10_000  # ids per online-store read (SQLite's bound on query parameters)
UNKNOWN_SHOWN = 20
_TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}(/[A-Za-z0-9_.-]{1,200}){0,8}$")


class TaskRefused(ValueError):
    """The batch cannot run as asked; the message names the field and the problem."""


@dataclass(frozen=True)
class TaskFolders:
    """Where tasks may read Parquet inputs (None: ids only) and where they write."""

    inputs: Path | None
    outputs: Path

    @classmethod
    def from_env(cls, settings: Settings, env: dict[str, str] | None = None) -> TaskFolders:
        """RETAIN_BATCH_INPUT (no default: files are refused until it is set) and
        RETAIN_BATCH_OUTPUT (default RETAIN_HOME/data/tasks)."""
        env = os.environ if env is None else env
        given = env.get("RETAIN_BATCH_INPUT")
        out = env.get("RETAIN_BATCH_OUTPUT") or settings.home / "data" / "tasks"
        return cls(Path(given).resolve() if given else None, Path(out).resolve())


def input_file(folders: TaskFolders, name: str) -> Path:
    """The Parquet file `name` (relative) inside the input folder, or `TaskRefused`."""
    if folders.inputs is None:
        raise TaskRefused("vectors_file: this server reads no files (RETAIN_BATCH_INPUT unset)")
    if not _FILE_NAME.match(name) or ".." in name.split("/") or not name.endswith(".parquet"):
        raise TaskRefused(
            "vectors_file: a relative path of a .parquet file inside the input folder "
            "(letters, digits, '_', '-', '.', '/'; no '..')"
        )
    path = (folders.inputs / name).resolve()
    if not path.is_relative_to(folders.inputs):  # a symbolic link out of the folder
        raise TaskRefused(f"vectors_file: {name} leads outside the input folder")
    if not path.is_file():
        raise TaskRefused(f"vectors_file: {name}: no such file in the input folder")
    return path


def _vector_schema() -> pa.Schema:
    fields = [pa.field("subscriber_id", pa.int64()), pa.field("as_of", pa.date32())]
    fields += [
        pa.field(f.name, pa.string() if f.kind == "categorical" else pa.float64()) for f in FEATURES
    ]
    return pa.schema(fields)


def write_store_vectors(
    store: OnlineStore, ids: Sequence[int], path: Path
) -> tuple[date, list[int], int]:
    """Write the stored vectors of `ids` (first occurrence of each, in the given order) to
    `path`; returns (the store's as_of, the first unknown ids, how many were unknown)."""
    as_of = store.meta().as_of
    unique = list(dict.fromkeys(int(i) for i in ids))
    schema = _vector_schema()
    unknown: list[int] = []
    missing = 0
    with pq.ParquetWriter(path, schema) as writer:
        for lo in range(0, len(unique), STORE_SLICE):
            part = unique[lo : lo + STORE_SLICE]
            found = store.get(part)
            rows = [found[i] for i in part if i in found]
            gone = [i for i in part if i not in found]
            missing += len(gone)
            unknown += gone[: UNKNOWN_SHOWN - len(unknown)]
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    return as_of, unknown, missing


def run_task(
    task_id: str,
    folders: TaskFolders,
    settings: Settings,
    models: Models,
    store: OnlineStore | None,
    subscriber_ids: Sequence[int] = (),
    vectors_file: str | None = None,
    reasons: bool = False,
    language: str | None = None,
) -> dict:
    """Run one batch (see the module docstring); the answer: reconciliation, and where the
    scores, rejects, campaign list and report were written."""
    if not _TASK_ID.match(task_id):
        raise TaskRefused(f"task id {task_id[:80]!r}: not a plain name")
    if bool(subscriber_ids) == (vectors_file is not None):
        raise TaskRefused("send either subscriber_ids or vectors_file, not both or neither")
    if len(subscriber_ids) > MAX_IDS:
        got = len(subscriber_ids)
        raise TaskRefused(f"subscriber_ids: at most {MAX_IDS:,} per task, got {got:,}")
    if vectors_file is None and store is None:
        raise TaskRefused("subscriber_ids: this server has no online store")
    folder = folders.outputs / task_id
    unknown: list[int] = []
    missing = 0
    if vectors_file is not None:
        path = input_file(folders, vectors_file)
        dates = vector_dates(path)
        if len(dates) != 1:
            raise TaskRefused(
                f"vectors_file: {vectors_file} holds vectors of {len(dates)} dates; one date "
                "per batch"
            )
        as_of = dates.pop()
        folder.mkdir(parents=True)
    else:
        folder.mkdir(parents=True)
        path = folder / "vectors.parquet"
        as_of, unknown, missing = write_store_vectors(store, subscriber_ids, path)
    job = ScoreJob(
        as_of=as_of,
        raw=path.parent,  # unused: the vectors are given
        out=folder / "scores",
        vectors=path,
        reasons=reasons,
        materialise=False,
        validate=False,
        language=language,
    )
    try:
        done = run(job, settings, models=models)
    except JobError as e:
        raise TaskRefused(str(e)) from e
    out = job.out
    return {
        "as_of": as_of.isoformat(),
        **done.result.as_dict(),
        "unknown_subscribers": missing,
        "unknown_subscriber_ids": unknown,
        "reconciliation": str(out / "reconciliation.json"),
        "campaign": str(out / "campaign.parquet") if (out / "campaign.parquet").exists() else None,
        "report": str(out / "report.html") if (out / "report.html").exists() else None,
        "churn_model_version": models.churn.ref,
        "value_model_version": models.value.ref,
    }
