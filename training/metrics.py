"""Model metrics as small pure functions shaped like the business question they answer."""

from __future__ import annotations

import numpy as np
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


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    diff = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)
    return float(np.sqrt(np.mean(diff**2)))


def churn_metrics(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": roc_auc(y, probability),
        "pr_auc": pr_auc(y, probability),
        "lift_top10": lift_at(y, probability, 0.1),
        "brier": brier(y, probability),
    }


def value_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "normalized_gini": normalized_gini(actual, predicted),
        "spearman": spearman(actual, predicted),
        "rmse": rmse(actual, predicted),
    }
