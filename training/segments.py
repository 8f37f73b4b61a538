"""Every metric per segment: contract type, value tier and region, model beside baselines."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.tiers import SegmentConfig, value_tier

SEGMENTS = ("contract_type", "value_tier", "region")


def segment_columns(frame: pd.DataFrame, config: SegmentConfig = SegmentConfig()) -> pd.DataFrame:
    """The segment of each row: contract_type, value_tier, region."""
    return pd.DataFrame(
        {
            "contract_type": frame["contract_type"].astype("string").fillna("unknown"),
            "value_tier": value_tier(frame["revenue_vnd_sum_30d"], config=config),
            "region": frame["region"].astype("string").fillna("unknown"),
        },
        index=frame.index,
    )


def segment_table(
    segments: pd.DataFrame,
    truth,
    predictions: dict[str, np.ndarray],
    metrics: Callable[[np.ndarray, np.ndarray], dict[str, float]],
) -> pd.DataFrame:
    """One row per (segment, level, scorer): rows, mean truth and every metric; a metric
    that is undefined in a segment (one class only, say) is NaN rather than an error."""
    truth = np.asarray(truth, dtype=float)
    rows = []
    for seg in segments.columns:
        for level, idx in segments.groupby(seg, observed=True).indices.items():
            for scorer, pred in predictions.items():
                row = {
                    "segment": seg,
                    "level": str(level),
                    "scorer": scorer,
                    "rows": len(idx),
                    "mean_truth": float(truth[idx].mean()),
                }
                row |= _safe(metrics, truth[idx], np.asarray(pred, dtype=float)[idx])
                rows.append(row)
    return pd.DataFrame(rows).set_index(["segment", "level", "scorer"])


def _safe(metrics, y, p) -> dict[str, float]:
    if len(np.unique(y)) < 2:
        names = metrics(np.array([0.0, 1.0]), np.array([0.2, 0.8])).keys()
        return dict.fromkeys(names, float("nan"))
    return metrics(y, p)
