"""Uplift metrics: Qini curve, Qini coefficient and AUUC (Radcliffe 2007; Gutierrez and
Gerardy 2017). The outcome is "retained" (1 - churned), so a good ranking puts first the
subscribers whom the offer keeps."""

from __future__ import annotations

import numpy as np


def _order(score: np.ndarray) -> np.ndarray:
    return np.lexsort((np.arange(len(score)), -np.asarray(score, dtype=float)))


def qini_curve(retained, treated, score) -> tuple[np.ndarray, np.ndarray]:
    """Fraction targeted and incremental retained subscribers when targeting the top of
    `score`: Q(k) = R_t(k) - R_c(k) * N_t(k) / N_c(k), scaled by the whole base."""
    y = np.asarray(retained, dtype=float)
    t = np.asarray(treated, dtype=bool)
    o = _order(score)
    y, t = y[o], t[o]
    n_t, n_c = np.cumsum(t), np.cumsum(~t)
    r_t, r_c = np.cumsum(y * t), np.cumsum(y * ~t)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(n_c > 0, r_t - r_c * n_t / n_c, 0.0)
    frac = np.arange(1, len(y) + 1) / len(y)
    return np.concatenate([[0.0], frac]), np.concatenate([[0.0], q]) / len(y)


def qini_coefficient(retained, treated, score) -> float:
    """Area between the Qini curve and the random-targeting line (positive = better than
    random); in incremental retained subscribers per subscriber of the base."""
    x, q = qini_curve(retained, treated, score)
    random = x * q[-1]
    return float(np.trapezoid(q - random, x))


def auuc(retained, treated, score, bins: int = 20) -> float:
    """Area under the uplift curve: mean over top-k cut-offs (in `bins` steps) of the
    observed uplift (treated minus control retention rate) among the targeted."""
    y = np.asarray(retained, dtype=float)
    t = np.asarray(treated, dtype=bool)
    o = _order(score)
    y, t = y[o], t[o]
    values = []
    for k in np.linspace(len(y) / bins, len(y), bins).astype(int):
        yt, yc = y[:k][t[:k]], y[:k][~t[:k]]
        if len(yt) and len(yc):
            values.append(yt.mean() - yc.mean())
    return float(np.mean(values)) if values else float("nan")


def expected_qini(true_uplift, score) -> float:
    """Qini coefficient with each row's expected uplift as the outcome instead of a
    treated-minus-control difference of realised outcomes: the area between the cumulative
    true uplift of the top of `score` and the random line, per row of the base. Only a
    synthetic operator knows the true uplift; it measures the ranking without the noise of
    who happened to churn, which on a few hundred campaign rows swamps any model."""
    u = np.asarray(true_uplift, dtype=float)
    if len(u) == 0:
        raise ValueError("true_uplift: no rows")
    gain = np.concatenate([[0.0], np.cumsum(u[_order(score)])]) / len(u)
    x = np.arange(len(u) + 1) / len(u)
    return float(np.trapezoid(gain - x * gain[-1], x))
