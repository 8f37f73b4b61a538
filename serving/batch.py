"""The batch job: score every eligible subscriber of a snapshot, with nothing lost.

Rows in = rows scored + rows rejected, always; the reconciliation is written beside the
outputs. Outputs are written through temporary files and renamed, so a killed job leaves
no partial file, and a re-run gives the same bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

from features.snapshot import SnapshotConfig, build_snapshot
from features.sources import write_parquet_atomic
from features.vector import split_valid
from serving.registry import Models
from serving.scoring import score
from serving.segments import TierConfig, top_share

log = logging.getLogger(__name__)


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

    def as_dict(self) -> dict:
        d = self.__dict__.copy()
        d["scores_path"], d["rejects_path"] = str(self.scores_path), str(self.rejects_path)
        return d


def score_frame(
    vectors: pd.DataFrame,
    models: Models,
    out: Path,
    chunk_rows: int = 200_000,
    tiers: TierConfig = TierConfig(),
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Score a frame of feature vectors in chunks; write scores, rejects and reconciliation."""
    out = Path(out)
    valid, rejects = split_valid(vectors)
    parts = []
    for lo in range(0, len(valid), chunk_rows):
        parts.append(score(valid.iloc[lo : lo + chunk_rows], models, tiers))
        if progress:
            progress(min(chunk_rows, len(valid) - lo))
    scores = pd.concat(parts, ignore_index=True) if parts else score(valid, models, tiers)
    scores = scores.sort_values("subscriber_id", kind="stable").reset_index(drop=True)
    scores_path = write_parquet_atomic(
        pa.Table.from_pandas(scores, preserve_index=False), out / "scores.parquet"
    )
    rej = pd.DataFrame(
        {
            "subscriber_id": rejects["subscriber_id"],
            "as_of": rejects["as_of"].astype(str),
            "reject_reason": rejects["reject_reason"],
        }
    )
    rejects_path = write_parquet_atomic(
        pa.Table.from_pandas(rej, preserve_index=False), out / "rejects.parquet"
    )
    result = BatchResult(
        scores_path=scores_path,
        rejects_path=rejects_path,
        rows_in=len(vectors),
        rows_scored=len(scores),
        rows_rejected=len(rej),
        revenue_top20_share=top_share(valid["revenue_vnd_sum_90d"]) if len(valid) else float("nan"),
        predicted_value_top20_share=top_share(scores["predicted_value_vnd"])
        if len(scores)
        else float("nan"),
        tier_counts={
            k: int(v) for k, v in scores["value_tier"].value_counts().sort_index().items()
        },
    )
    if result.rows_in != result.rows_scored + result.rows_rejected:
        raise AssertionError(f"reconciliation failed: {result.as_dict()}")
    tmp = out / ".reconciliation.json.tmp"
    tmp.write_text(
        json.dumps(
            result.as_dict()
            | {
                "churn_model_version": models.churn.ref,
                "value_model_version": models.value.ref,
            },
            indent=2,
            sort_keys=True,
        )
    )
    tmp.replace(out / "reconciliation.json")
    return result


def score_snapshot(
    raw: Path,
    as_of: date,
    models: Models,
    out: Path,
    config: SnapshotConfig = SnapshotConfig(),
    **kwargs,
) -> BatchResult:
    """Build the snapshot of `raw` as of `as_of` and score every eligible subscriber."""
    vectors = build_snapshot(raw, as_of, config, labels=False)
    log.info("snapshot %s: %d eligible subscribers", as_of, len(vectors))
    return score_frame(vectors, models, out, **kwargs)
