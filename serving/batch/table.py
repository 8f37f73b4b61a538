"""`retain score --table`: score a prepared one-row-per-subscriber table with the registered
table model (`retain train-table`), loaded through `mlflow.pyfunc` as anyone would.

Every row ends up scored or rejected with its reason (a missing or duplicated id, a value
that is not a number in a numeric feature), and rows in = scored + rejected. A feature
column the model needs and the table lacks stops the run before anything is written.
Outputs appear whole or not at all: `scores.parquet`, `rejects.parquet`,
`reconciliation.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from features.artefacts.table_model import TABLE_MODEL_NAME, TableColumns, read_table
from features.contract.sources import replacing, write_text_atomic
from features.settings import Settings
from serving.batch.job import JobError
from serving.batch.outputs import sole_writer, sweep_temporaries

ROW = "row"  # the row's position in the table, kept beside the ids in every output


@dataclass(frozen=True)
class TableScores:
    rows_in: int
    rows_scored: int
    rows_rejected: int
    model: str  # name/version that scored
    out: Path


def load_table_model(settings: Settings):
    """(pyfunc, its TableColumns, 'name/version') of the table model the alias points at."""
    import mlflow
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(settings.tracking_uri)
    try:
        version = mlflow.MlflowClient().get_model_version_by_alias(TABLE_MODEL_NAME, settings.alias)
        model = mlflow.pyfunc.load_model(f"models:/{TABLE_MODEL_NAME}/{version.version}")
    except MlflowException as e:
        raise JobError(
            f"no table model {TABLE_MODEL_NAME}@{settings.alias} in {settings.tracking_uri}: "
            "run retain train-table first"
        ) from e
    columns: TableColumns = model.unwrap_python_model().columns
    return model, columns, f"{TABLE_MODEL_NAME}/{version.version}"


def row_rejects(frame: pd.DataFrame, columns: TableColumns) -> pd.Series:
    """The reason each row cannot be scored (empty string when it can), first reason only."""
    reason = pd.Series("", index=frame.index, dtype=object)

    def mark(mask: pd.Series, text) -> None:
        fresh = mask & (reason == "")
        reason[fresh] = text if isinstance(text, str) else text[fresh]

    for c in columns.ids:
        mark(frame[c].isna(), f"{c}: missing id")
        mark(frame[c].duplicated(keep=False) & frame[c].notna(), f"{c}: id appears twice")
    for c in columns.inputs:
        if c in columns.categorical:
            continue
        bad = pd.to_numeric(frame[c], errors="coerce").isna() & frame[c].notna()
        mark(bad, c + ": " + frame[c].astype(str).str.slice(0, 40) + " is not a number")
    return reason


def score_table(table: Path, out: Path, as_of: date, settings: Settings) -> TableScores:
    """Score `table` (CSV or Parquet) into `out` with the table model's champion."""
    model, columns, ref = load_table_model(settings)
    try:
        frame = read_table(table)
    except (OSError, ValueError) as e:
        raise JobError(str(e)) from e
    missing = [c for c in (*columns.ids, *columns.inputs) if c not in frame.columns]
    if missing:
        raise JobError(f"table: columns {missing} are missing (the model reads them)")
    frame = frame.reset_index(drop=True)
    frame.insert(0, ROW, frame.index.astype("int64"))
    reason = row_rejects(frame, columns)
    good = frame[reason == ""]
    inputs = good[columns.inputs].astype({c: object for c in columns.categorical})
    for c in columns.inputs:
        if c not in columns.categorical:  # the rows left hold numbers (or nothing) here
            inputs[c] = pd.to_numeric(inputs[c]).astype("float64")
    keys = [ROW, *columns.ids]
    scores = good[keys].assign(
        churn_probability=model.predict(inputs) if len(good) else [],
        as_of=pd.Timestamp(as_of),
        model=ref,
    )
    rejects = frame.loc[reason != "", keys].assign(reason=reason[reason != ""])
    reconciliation = {
        "table": str(table),
        "as_of": as_of.isoformat(),
        "model": ref,
        "rows_in": len(frame),
        "rows_scored": len(scores),
        "rows_rejected": len(rejects),
    }
    with sole_writer(out):
        sweep_temporaries(out)
        for name, part in (("scores.parquet", scores), ("rejects.parquet", rejects)):
            with replacing(out / name) as tmp:
                part.to_parquet(tmp, index=False)
        write_text_atomic(json.dumps(reconciliation, indent=2) + "\n", out / "reconciliation.json")
    return TableScores(len(frame), len(scores), len(rejects), ref, out)
