"""Training sets: labelled snapshots at several monthly cutoffs, with a manifest.

Each cutoff is a point-in-time snapshot (eligibility and labels as DESIGN §4 states them,
see `features.query`); the manifest records what a model was trained on: the cutoffs with
their row counts and churn rates, the raw tables present and the feature schema version.

At scale the snapshots never reach pandas whole: `write_training_snapshots` streams each
one from DuckDB to a Parquet file, and `sample_training_set` draws a stratified, seeded
sample from those files in DuckDB (`features.sampling`), so only the sample is loaded.
`build_training_set` stacks whole snapshots in memory, for small bases and benchmarks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from features.definitions import feature_schema_version
from features.sampling import SampleConfig, Strata, sample_sql, strata
from features.snapshot import (
    SnapshotConfig,
    build_snapshot,
    connect,
    present_tables,
    write_snapshot,
)

__all__ = [
    "TrainingSample",
    "build_training_set",
    "sample_training_set",
    "write_training_snapshots",
]

log = logging.getLogger(__name__)


def check_cutoffs(cutoffs: Sequence[date]) -> None:
    if not cutoffs:
        raise ValueError("cutoffs: need at least one snapshot date")
    if sorted(set(cutoffs)) != list(cutoffs):
        raise ValueError(f"cutoffs: must be strictly increasing, got {list(cutoffs)}")


def _manifest(tables, cutoffs: list[dict], rows: int, config: SnapshotConfig) -> dict:
    return {
        "feature_schema_version": feature_schema_version(),
        "tables": sorted(tables),
        "cutoffs": cutoffs,
        "rows": rows,
        "churn_horizon_days": config.churn_horizon_days,
        "value_horizon_days": config.value_horizon_days,
        "eligibility_days": config.eligibility_days,
    }


def build_training_set(
    raw: Path | duckdb.DuckDBPyConnection,
    cutoffs: Sequence[date],
    config: SnapshotConfig = SnapshotConfig(),
) -> tuple[pd.DataFrame, dict]:
    """Whole labelled snapshots at each cutoff, stacked in cutoff order in memory; and their
    manifest. Memory grows with the base: `retain train` uses `sample_training_set`."""
    check_cutoffs(cutoffs)
    con = raw if isinstance(raw, duckdb.DuckDBPyConnection) else connect(raw)
    parts = []
    for as_of in cutoffs:
        snap = build_snapshot(con, as_of, config, labels=True)
        log.info("snapshot %s: %d eligible subscribers", as_of, len(snap))
        parts.append(snap)
    frame = pd.concat(parts, ignore_index=True)
    rows = [
        {
            "as_of": as_of.isoformat(),
            "rows": len(p),
            "churn_rate": round(float(p[config.churn_label].mean()), 6) if len(p) else None,
        }
        for as_of, p in zip(cutoffs, parts, strict=True)
    ]
    return frame, _manifest(present_tables(con), rows, len(frame), config)


def write_training_snapshots(
    raw: Path,
    cutoffs: Sequence[date],
    folder: Path,
    config: SnapshotConfig = SnapshotConfig(),
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict[date, Path]:
    """One labelled snapshot per cutoff, streamed by DuckDB to `folder/as_of=<date>.parquet`
    with its memory capped at `memory_limit` (`SampleConfig.duckdb_memory`; it spills
    beyond), so memory does not grow with the base; the files by cutoff. The caller owns
    `folder`."""
    check_cutoffs(cutoffs)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for as_of in cutoffs:
        path = folder / f"as_of={as_of.isoformat()}.parquet"
        rows = write_snapshot(
            raw, as_of, path, config, threads=threads, labels=True, memory_limit=memory_limit
        )
        log.info("snapshot %s: %d eligible subscribers -> %s", as_of, rows, path)
        files[as_of] = path
    return files


@dataclass(frozen=True)
class TrainingSample:
    """The sampled, stacked snapshots (`sample_weight`, `uniform_draw` added, see
    `features.sampling`); the churn label of every sampled subscriber at every cutoff
    (`follow_up`: subscriber_id, as_of, the label; for survival's person-months); the
    manifest, with each cutoff's population, sample and strata."""

    frame: pd.DataFrame
    follow_up: pd.DataFrame
    manifest: dict


def _fetch(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    # Columns straight into the frame's arrays, as `build_snapshot` reads them.
    frame = pd.DataFrame(con.execute(query).fetchnumpy(), copy=False)
    if "as_of" in frame:
        frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame


def sample_training_set(
    files: Mapping[date, Path],
    tables: Sequence[str],
    config: SnapshotConfig = SnapshotConfig(),
    sample: SampleConfig = SampleConfig(),
    top_monthly_vnd: float = 200_000,
    seed: int = 7,
) -> TrainingSample:
    """The stratified, seeded, weighted sample of the labelled snapshot files (by cutoff, as
    `write_training_snapshots` wrote them), drawn in DuckDB; `tables` are the raw tables
    present (for the manifest). `top_monthly_vnd` is the value tier threshold from which
    every subscriber is kept (`SegmentConfig.large_vnd`: the super and large tiers)."""
    check_cutoffs(list(files))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    label = config.churn_label
    parts, follow, cutoffs = [], [], []
    for as_of, path in files.items():
        s: Strata = strata(con, path, label, top_monthly_vnd, sample, seed)
        part = _fetch(con, sample_sql(path, label, top_monthly_vnd, s, seed))
        follow.append(part[["subscriber_id"]])
        log.info("snapshot %s: %d of %d subscribers sampled", as_of, len(part), s.population)
        cutoffs.append(
            {
                "as_of": as_of.isoformat(),
                "rows": s.population,
                "sampled_rows": len(part),
                "churn_rate": round(s.churners / s.population, 6) if s.population else None,
            }
            | s.describe()
        )
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    ids = pd.concat(follow, ignore_index=True).drop_duplicates()
    con.register("sampled_ids", ids)
    paths = ", ".join(f"'{p}'" for p in files.values())
    follow_up = _fetch(
        con,
        f"SELECT subscriber_id, as_of, {label} FROM read_parquet([{paths}]) "
        "SEMI JOIN sampled_ids USING (subscriber_id) ORDER BY as_of, subscriber_id",
    )
    manifest = _manifest(tables, cutoffs, sum(c["rows"] for c in cutoffs), config)
    manifest |= {"sampled_rows": len(frame), "sample": sample.describe(seed)}
    return TrainingSample(frame=frame, follow_up=follow_up, manifest=manifest)
