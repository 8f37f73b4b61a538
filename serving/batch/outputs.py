"""The batch job's output folder: files appear whole or not at all, and one job at a time.

Every output is written to a hidden temporary beside it and renamed into place, so a killed
job leaves no partial file. The temporaries a SIGKILL leaves behind (no cleanup runs then)
are swept by the next run into the same folder, which holds a lock on it while it writes,
so a sweep never touches the temporaries of a run still going.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from features.contract.sources import replacing
from serving.campaign_gain import MEASURED_FILE

log = logging.getLogger(__name__)


class FolderBusy(RuntimeError):
    """Another job holds the output folder's lock."""


OUTPUT_NAMES = (
    "scores.parquet",
    "rejects.parquet",
    "campaign.parquet",
    "campaign.csv",
    "report.html",
    "reconciliation.json",
    "vectors.parquet",  # the snapshot `retain score` writes when given no --vectors
    MEASURED_FILE,  # past campaigns measured from their control groups
    "scores",  # the Spark job's folders of parts
    "rejects",
    ".spark.tmp",  # the Spark job's staging folder
)
# The names `features.contract.sources.replacing` gives (mkstemp's eight random characters),
# and the fixed `.{name}.tmp` earlier versions used.
_TEMPORARY = re.compile(
    r"\.(?:{})(?:\.[a-z0-9_]{{8}})?\.tmp".format("|".join(map(re.escape, OUTPUT_NAMES)))
)


@contextmanager
def atomic_parquet_writer(path: Path, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
    """A zstd Parquet writer whose file appears at `path` only when the block succeeds."""
    with replacing(path) as tmp, pq.ParquetWriter(tmp, schema, compression="zstd") as w:
        yield w


# Folders whose lock a `retain score` run holds for the steps it calls (see `sole_writer`).
_HELD: ContextVar[frozenset[Path]] = ContextVar("retain_held_folders", default=frozenset())


@contextmanager
def sole_writer(out: Path, nested: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on the folder `out` (the kernel drops it when the process dies,
    SIGKILL included); a second job writing there is refused. With `nested`, the steps run
    inside the block (in this context) may take it again: `retain score` takes it before its
    first byte, and its scoring step takes it once more."""
    out.mkdir(parents=True, exist_ok=True)
    key = out.resolve()
    if key in _HELD.get():
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(f"{out}: another batch job is writing there") from None
        token = _HELD.set(_HELD.get() | {key}) if nested else None
        try:
            yield
        finally:
            if token is not None:
                _HELD.reset(token)
    finally:
        os.close(fd)


def is_output(name: str) -> bool:
    """True for the names a batch job writes in its folder (outputs and their temporaries)."""
    return name in OUTPUT_NAMES or _TEMPORARY.fullmatch(name) is not None


def sweep_temporaries(out: Path) -> int:
    """Remove the temporaries of Retain's outputs that a killed run left in `out` (files named
    like `replacing`'s, nothing else); return how many. Call it holding `sole_writer`."""
    stale = [
        e.path
        for e in os.scandir(out)
        if _TEMPORARY.fullmatch(e.name) and e.is_file(follow_symlinks=False)
    ]
    for path in stale:
        os.unlink(path)
    if stale:
        log.info("removed %d stale temporary file(s) a killed run left in %s", len(stale), out)
    return len(stale)
