"""Nothing lost: rows in = rows scored + rows rejected, with each reject's reason.

Shared by the local job (`serving.batch.chunks`) and the Spark job (`serving.batch.spark`):
the rejects' file schema, the result every run returns, the duplicate-id rule (the first
occurrence is scored, later ones rejected, across chunks and partitions) and the
reconciliation file written beside the outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from features.contract.sources import write_text_atomic
from serving.registry import Models

DUPLICATE = "subscriber_id: duplicate"

REJECTS_SCHEMA = pa.schema(
    [("subscriber_id", pa.int64()), ("as_of", pa.string()), ("reject_reason", pa.string())]
)


@dataclass(frozen=True)
class BatchResult:
    scores_path: Path
    rejects_path: Path
    rows_in: int
    rows_scored: int
    rows_rejected: int
    revenue_top20_share: float  # Pareto view on trailing 90-day revenue
    predicted_value_top20_share: float
    tier_counts: dict[str, int]
    reject_counts: dict[str, int]
    campaign: dict = field(default_factory=dict)  # contacted, control, cost, expected gain

    def as_dict(self) -> dict:
        d = self.__dict__.copy()
        d["scores_path"], d["rejects_path"] = str(self.scores_path), str(self.rejects_path)
        return d


def reject_duplicates(
    valid: pd.DataFrame, rejects: pd.DataFrame, again: pd.Series | list
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move the rows of `valid` flagged in `again` (a later occurrence of an id) to
    `rejects`, with the duplicate reason; returns (valid, rejects)."""
    again = pd.Series(again, index=valid.index).astype(bool)
    if not again.any():
        return valid, rejects
    extra = valid[again].copy()
    extra["reject_reason"] = DUPLICATE
    return valid[~again], pd.concat([rejects, extra]).sort_index()


def duplicated_ids(path: Path) -> set[int]:
    """Ids occurring more than once in a Parquet file (DuckDB spills to disk if needed)."""
    rows = duckdb.sql(
        f"SELECT subscriber_id FROM read_parquet('{Path(path)}') WHERE subscriber_id IS NOT NULL "
        "GROUP BY 1 HAVING count(*) > 1"
    ).fetchall()
    return {int(r[0]) for r in rows}


def rejects_table(rejects: pd.DataFrame) -> pa.Table:
    ids = pd.to_numeric(rejects["subscriber_id"], errors="coerce").astype("Int64")
    return pa.table(
        {
            "subscriber_id": pa.array(ids, type=pa.int64(), from_pandas=True),
            "as_of": pa.array(
                [None if pd.isna(v) else str(v) for v in rejects["as_of"]], type=pa.string()
            ),
            "reject_reason": pa.array(rejects["reject_reason"].astype(str).tolist()),
        },
        schema=REJECTS_SCHEMA,
    )


def write_reconciliation(out: Path, result: BatchResult, models: Models) -> Path:
    text = json.dumps(
        result.as_dict()
        | {"churn_model_version": models.churn.ref, "value_model_version": models.value.ref},
        indent=2,
        sort_keys=True,
    )
    return write_text_atomic(text, out / "reconciliation.json")


def check(result: BatchResult) -> None:
    """Raise when rows in != rows scored + rows rejected (a bug, never a data problem)."""
    if result.rows_in != result.rows_scored + result.rows_rejected:
        raise AssertionError(f"reconciliation failed: {result.as_dict()}")
