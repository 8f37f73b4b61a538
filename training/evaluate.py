"""Evaluation tables: each model beside its baselines (and the champion) on the same snapshot."""

from __future__ import annotations

import pandas as pd

from training.metrics import churn_metrics, value_metrics
from training.profit import EMPCConfig, empc


def churn_scores(
    y, probability, paper: EMPCConfig = EMPCConfig(), operator: EMPCConfig | None = None
) -> dict[str, float]:
    """Churn metrics plus EMPC with the paper's parameters (and the operator's, in VND)."""
    out = churn_metrics(y, probability)
    out["empc"], out["empc_contacted"] = empc(y, probability, paper)
    if operator is not None:
        out["empc_vnd"], out["empc_vnd_contacted"] = empc(y, probability, operator)
    return out


def churn_table(
    y,
    predictions: dict[str, object],
    paper: EMPCConfig = EMPCConfig(),
    operator: EMPCConfig | None = None,
) -> pd.DataFrame:
    """One row per scorer (model, baselines, champion), columns are churn metrics."""
    return pd.DataFrame(
        {name: churn_scores(y, p, paper, operator) for name, p in predictions.items()}
    ).T


def value_table(actual, predictions: dict[str, object]) -> pd.DataFrame:
    """One row per scorer, columns are value metrics; plus total predicted over actual."""
    rows = {}
    for name, p in predictions.items():
        rows[name] = value_metrics(actual, p) | {"total_ratio": float(sum(p) / max(sum(actual), 1))}
    return pd.DataFrame(rows).T


def beats(
    table: pd.DataFrame,
    metric: str,
    model: str = "model",
    baseline: str = "baseline",
    margin: float = 0.0,
) -> bool:
    """True when `model` is better than `baseline` on `metric` (higher is better) by `margin`."""
    return bool(table.loc[model, metric] > table.loc[baseline, metric] + margin)
