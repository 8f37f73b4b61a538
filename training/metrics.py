"""Model metrics as small pure functions shaped like the business question they answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Probability that a random churner is ranked above a random stayer."""
    return float(roc_auc_score(y, score))


def pr_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision: area under the precision-recall curve."""
    return float(average_precision_score(y, score))


def lift_at(y: np.ndarray, score: np.ndarray, share: float = 0.1) -> float:
    """Churn rate among the top `share` of the base by score, over the base churn rate.

    Ties at the cut are broken by position after a stable sort, so a constant score gives
    the base rate of the first rows; a random score gives a lift near 1.
    """
    y = np.asarray(y, dtype=float)
    k = max(1, int(round(len(y) * share)))
    top = np.argsort(-np.asarray(score, dtype=float), kind="stable")[:k]
    base = y.mean()
    return float(y[top].mean() / base) if base > 0 else float("nan")


def capture_at(y: np.ndarray, score: np.ndarray, share: float = 0.1) -> float:
    """Share of all churners found in the top `share` of the base by score (ties as in lift)."""
    y = np.asarray(y, dtype=float)
    k = max(1, int(round(len(y) * share)))
    top = np.argsort(-np.asarray(score, dtype=float), kind="stable")[:k]
    total = y.sum()
    return float(y[top].sum() / total) if total > 0 else float("nan")


def expected_calibration_error(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over `bins` equal-count bins of the sorted
    probabilities, weighted by bin size (equal-count bins keep rare high scores resolved)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(probability, dtype=float)
    order = np.argsort(p, kind="stable")
    err = 0.0
    for part in np.array_split(order, min(bins, len(p))):
        err += len(part) * abs(y[part].mean() - p[part].mean())
    return float(err / len(p))


def brier(y: np.ndarray, probability: np.ndarray) -> float:
    """Mean squared error of predicted probabilities."""
    return float(brier_score_loss(y, probability))


def gini(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Gini of `actual` ordered by `predicted` (highest first): area between the cumulative
    share of actual and the diagonal, times two."""
    actual = np.asarray(actual, dtype=float)
    order = np.lexsort((np.arange(len(actual)), -np.asarray(predicted, dtype=float)))
    cum = np.cumsum(actual[order]) / actual.sum()
    n = len(actual)
    return float((cum.sum() / n - (n + 1) / (2 * n)) * 2)


def normalized_gini(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Gini of the prediction's ordering over the Gini of the perfect ordering (1 = perfect)."""
    return gini(actual, predicted) / gini(actual, actual)


def spearman(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(spearmanr(actual, predicted).statistic)


def mae(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(actual, dtype=float) - np.asarray(predicted, float))))


def total_bias(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Total predicted over total actual, minus one (0 = the base's total is right)."""
    total = float(np.sum(actual))
    return float(np.sum(predicted)) / total - 1.0 if total else float("nan")


def decile_table(actual: np.ndarray, predicted: np.ndarray, groups: int = 10) -> pd.DataFrame:
    """Rows ranked by prediction (highest first) in `groups` equal-count groups: count, mean
    predicted, mean actual and the group's share of the actual total."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    order = np.lexsort((np.arange(len(actual)), -predicted))
    rows = []
    total = actual.sum()
    for i, part in enumerate(np.array_split(order, groups), start=1):
        rows.append(
            {
                "decile": i,
                "rows": len(part),
                "mean_predicted": float(predicted[part].mean()) if len(part) else float("nan"),
                "mean_actual": float(actual[part].mean()) if len(part) else float("nan"),
                "share_of_actual": float(actual[part].sum() / total) if total else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index("decile")


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    diff = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)
    return float(np.sqrt(np.mean(diff**2)))


SHARES = (0.05, 0.1, 0.2)


def churn_metrics(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Ranking, targeting (lift and capture at 5/10/20% of the base), probability quality."""
    out = {"roc_auc": roc_auc(y, probability), "pr_auc": pr_auc(y, probability)}
    for s in SHARES:
        out[f"lift_top{round(s * 100)}"] = lift_at(y, probability, s)
    for s in SHARES:
        out[f"capture_top{round(s * 100)}"] = capture_at(y, probability, s)
    out["brier"] = brier(y, probability)
    out["ece"] = expected_calibration_error(y, probability)
    return out


def value_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "normalized_gini": normalized_gini(actual, predicted),
        "spearman": spearman(actual, predicted),
        "rmse": rmse(actual, predicted),
        "mae": mae(actual, predicted),
        "total_bias": total_bias(actual, predicted),
    }
