"""The batch job: score every eligible subscriber of a snapshot, with nothing lost.

Vectors stream through in chunks of `chunk_rows` (from a DataFrame or a Parquet file), so
memory is bounded by the chunk, not the base. Each chunk goes through the boundary check
and the same `score_columns` as the HTTP service. Rows in = rows scored + rows rejected,
always; the reconciliation is written beside the outputs. Outputs appear whole or not at
all, one job at a time per folder (`serving.batch.outputs`), and a re-run with the same
input and chunk size gives the same bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from features.drift import DriftThresholds
from features.labels import trailing_revenue_vnd_90d
from features.vector import split_valid
from serving.answer import ANSWER_SCHEMA
from serving.batch.campaign_reasons import ReasonsFor, parquet_batches, reasons_for
from serving.batch.outputs import atomic_parquet_writer, sole_writer, sweep_temporaries
from serving.batch.reconcile import (
    REJECTS_SCHEMA,
    BatchResult,
    duplicated_ids,
    reject_duplicates,
    rejects_table,
)
from serving.batch.tally import REPORT_ATTRIBUTES, Tally, finish
from serving.decision import DecisionPolicy
from serving.registry import Models
from serving.scoring import OFFER_GAINS, score_columns, to_arrow
from serving.segments import SegmentConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchConfig:
    chunk_rows: int = 200_000
    # top three reasons per row (a SHAP pass: the costly part); False: for the campaign
    # list's rows only (`serving.batch.campaign_reasons`)
    reasons: bool = False
    segments: SegmentConfig = field(default_factory=SegmentConfig)
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)  # the campaign's budget
    reference: pd.DataFrame | None = field(default=None, compare=False)  # training vectors
    drift: DriftThresholds = field(default_factory=DriftThresholds)
    language: str = "en"  # of the reasons, display names and report (serving.language)

    def __post_init__(self) -> None:
        if self.chunk_rows < 1:
            raise ValueError(f"batch.chunk_rows: must be at least 1, got {self.chunk_rows}")


def _frame_chunks(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    for lo in range(0, len(frame), rows):
        yield frame.iloc[lo : lo + rows]


def parquet_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """Chunks of a Parquet file of vectors, `rows` at a time. One block per column: pandas
    would otherwise consolidate the float columns into one 2-D block, a copy of the whole
    chunk that cost five times the rest of the conversion; the frame is the same."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
        yield batch.to_pandas(split_blocks=True)


def score_chunks(
    chunks: Iterator[pd.DataFrame],
    duplicated_ids: set[int],
    models: Models,
    out: Path,
    config: BatchConfig = BatchConfig(),
    progress: Callable[[int], None] | None = None,
    campaign_reasons: ReasonsFor | None = None,
) -> BatchResult:
    """Score a stream of vector chunks; write scores, rejects and reconciliation under `out`.

    `duplicated_ids` are the ids that occur more than once in the whole input; the first
    occurrence is scored, later ones are rejected, across chunk borders too. The temporaries
    a killed run left in `out` are removed first. `campaign_reasons` gives the campaign
    list its reasons when the scores carry none (`BatchConfig.reasons` False).
    """
    out = Path(out)
    with sole_writer(out):
        sweep_temporaries(out)
        return _score_chunks(
            chunks, duplicated_ids, models, out, config, progress, campaign_reasons
        )


def _score_chunks(
    chunks: Iterator[pd.DataFrame],
    duplicated_ids: set[int],
    models: Models,
    out: Path,
    config: BatchConfig,
    progress: Callable[[int], None] | None,
    campaign_reasons: ReasonsFor | None,
) -> BatchResult:
    tally = Tally()
    seen: set[int] = set()
    with (
        atomic_parquet_writer(out / "scores.parquet", ANSWER_SCHEMA) as scores_w,
        atomic_parquet_writer(out / "rejects.parquet", REJECTS_SCHEMA) as rejects_w,
    ):
        for chunk in chunks:
            chunk = chunk.reset_index(drop=True)
            valid, rejects = split_valid(chunk)
            if duplicated_ids:
                again = valid["subscriber_id"].astype("int64").isin(seen)
                valid, rejects = reject_duplicates(valid, rejects, again)
                seen.update(int(i) for i in chunk["subscriber_id"].dropna() if i in duplicated_ids)
            if len(valid):
                cols = {c: valid[c].to_numpy() for c in valid.columns}
                answer = score_columns(
                    cols, models, config.segments, reasons=config.reasons, language=config.language
                )
                scores_w.write_table(to_arrow(answer))
                tally.add_scored(
                    answer["subscriber_id"],
                    answer["value_tier"],
                    trailing_revenue_vnd_90d(valid).astype(np.float32),
                    answer["predicted_value_vnd"],
                    answer[OFFER_GAINS],
                    answer["as_of"][0],
                    valid if config.reference is not None else None,
                    valid[list(REPORT_ATTRIBUTES)],
                )
            if len(rejects):
                rejects_w.write_table(rejects_table(rejects))
                tally.add_rejected(rejects["reject_reason"])
            tally.rows_in += len(chunk)
            if progress:
                progress(len(chunk))
    return finish(
        out,
        tally,
        models,
        config,
        out / "scores.parquet",
        out / "rejects.parquet",
        None if config.reasons else campaign_reasons,
    )


def score_frame(
    vectors: pd.DataFrame,
    models: Models,
    out: Path,
    config: BatchConfig = BatchConfig(),
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Score a frame of feature vectors in chunks (see `score_chunks`)."""
    ids = vectors["subscriber_id"]
    dups = {int(i) for i in ids[ids.duplicated() & ids.notna()]}
    again = reasons_for(lambda: _frame_chunks(vectors, config.chunk_rows), models, config.language)
    return score_chunks(
        _frame_chunks(vectors, config.chunk_rows), dups, models, out, config, progress, again
    )


def score_parquet(
    path: Path,
    models: Models,
    out: Path,
    config: BatchConfig = BatchConfig(),
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Score a Parquet file of vectors without loading it whole."""
    dups = duplicated_ids(path)
    again = reasons_for(parquet_batches(path, config.chunk_rows), models, config.language)
    return score_chunks(
        parquet_chunks(path, config.chunk_rows), dups, models, out, config, progress, again
    )
