"""Reasons for the campaign list's rows only, when the scores carry none (the default of
`retain score`; `--reasons` gives every row its own).

Reasons cost a SHAP pass (`pred_contrib`) over every tree, several times a plain predict; a
batch over the whole base needs them only for the subscribers it contacts. After the
campaign is planned, its rows' vectors are read back from the input, filtered in Arrow
before they become pandas (so memory stays one chunk plus the campaign), and the same
`top_reasons` as every answer is computed for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from serving.encoding import encode, encoder
from serving.reasons import top_reasons
from serving.registry import Models

ReasonsFor = Callable[[np.ndarray], pd.DataFrame]


def reasons_for(
    batches: Callable[[], Iterator[pa.RecordBatch | pd.DataFrame]], models: Models, language: str
) -> ReasonsFor:
    """A function from campaign ids to a frame (`subscriber_id`, `reasons`); `batches` gives
    the job's input again, chunk by chunk. An id given twice in the input takes its first
    row, the one the job scored."""

    def of(ids: np.ndarray) -> pd.DataFrame:
        wanted = pa.array(np.asarray(ids, dtype=np.int64))
        parts = []
        for batch in batches():
            if isinstance(batch, pd.DataFrame):
                parts.append(batch[batch["subscriber_id"].isin(np.asarray(ids))])
                continue
            keep = pc.is_in(batch.column("subscriber_id"), value_set=wanted)
            if pc.any(keep).as_py():
                parts.append(batch.filter(keep).to_pandas())
        if not parts:
            return pd.DataFrame({"subscriber_id": pd.Series([], dtype="int64"), "reasons": []})
        rows = pd.concat(parts, ignore_index=True).drop_duplicates("subscriber_id")
        cols = {c: rows[c].to_numpy() for c in rows.columns}
        booster = models.churn.booster
        X = encode(cols, booster)
        why = top_reasons(booster, X, list(encoder(booster)[0]), cols, languages=language)
        return pd.DataFrame(
            {"subscriber_id": cols["subscriber_id"].astype(np.int64), "reasons": why}
        )

    return of


def parquet_batches(path: Path, rows: int) -> Callable[[], Iterator[pa.RecordBatch]]:
    """The Parquet input again (a file, or a folder of part files as Spark writes them), as
    Arrow batches of `rows`, in file order."""
    if Path(path).is_dir():
        return lambda: ds.dataset(path, format="parquet").to_batches(batch_size=rows)
    return lambda: pq.ParquetFile(path).iter_batches(batch_size=rows)
