"""The observable ceiling of survival on the synthetic operator: the best curves a model of
the features Retain sees can give, as `bench.oracle.observable_oracle` is for offers.

The truth's S(m) as of the origin depends on latent state (a grievance chain, a lognormal
baseline hazard) that no feature shows; the observable ceiling is what is left of it once
only the feature vector is known. For the Brier score the best curve given features x is
E[S_true(m) | x] (the chance of 1{T > m} given x), so LightGBM regresses the truth's own S(m)
directly: one row per subscriber and month m = 1..months, the feature vector at the origin
plus `months_ahead` = m, the truth's S(m) as a soft label of the cross-entropy objective.
Cross-fitted over the origin's subscribers as `observable_oracle` is: fold k is predicted
by a booster trained on the folds other than k and k + 1 and early-stopped on fold k + 1;
the churn model's settings (`ChurnConfig`) with the round limit raised to 2,000. The
predicted S(m) is made non-increasing in m (a running minimum).

It learns from the truth, which no product can: a figure of what is reachable, not a model.
It is, if anything, generous: fitted across the subscribers of the one origin, it also
learns what that origin's future months hold for everyone alike (the season, competitor
promotions by province), which a model fitted on earlier origins can only guess.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.artefacts.survival import MONTHS_AHEAD
from features.vector import model_frame
from training.config import ChurnConfig
from training.models import booster_params

ROUNDS = 2_000
FOLDS = 5


def _stacked(X: pd.DataFrame, target: np.ndarray, rows: np.ndarray):
    """Subscriber-month rows of `rows`: month-major, features plus `months_ahead`."""
    months = target.shape[1]
    parts = [X.iloc[rows].assign(**{MONTHS_AHEAD: float(m)}) for m in range(1, months + 1)]
    return pd.concat(parts, ignore_index=True), target[rows].T.ravel()


def observable_ceiling(
    vectors: pd.DataFrame, true_survival: np.ndarray, seed: int = 7, folds: int = FOLDS
) -> np.ndarray:
    """Out-of-fold S(1..months) per row of `vectors` (the feature vectors at the origin),
    learnt from `true_survival` (rows x months, the truth's S(m) of the same rows); see the
    module docstring."""
    target = np.asarray(true_survival, dtype=float)
    if target.ndim != 2 or len(target) != len(vectors):
        raise ValueError(
            f"observable_ceiling: true_survival must be rows x months with one row per vector "
            f"({len(vectors)}), got shape {target.shape}"
        )
    if not np.isfinite(target).all() or target.min() < 0 or target.max() > 1:
        raise ValueError("observable_ceiling: true_survival must be probabilities in [0, 1]")
    if len(vectors) < 2 * folds:
        raise ValueError(f"observable_ceiling: {len(vectors)} rows for {folds} folds")
    X = model_frame(vectors).reset_index(drop=True)
    cfg = ChurnConfig()
    params = booster_params(cfg, seed, threads=2) | {"objective": "cross_entropy"}
    fold = np.random.default_rng(seed).permutation(len(X)) % folds
    predicted = np.empty_like(target)
    for k in range(folds):
        stop = (k + 1) % folds
        Xt, yt = _stacked(X, target, np.flatnonzero((fold != k) & (fold != stop)))
        Xs, ys = _stacked(X, target, np.flatnonzero(fold == stop))
        train = lgb.Dataset(Xt, label=yt)
        booster = lgb.train(
            params,
            train,
            num_boost_round=ROUNDS,
            valid_sets=[lgb.Dataset(Xs, label=ys, reference=train)],
            callbacks=[lgb.early_stopping(cfg.early_stopping_rounds, verbose=False)],
        )
        rows = np.flatnonzero(fold == k)
        Xk, _ = _stacked(X, target, rows)
        out = booster.predict(Xk, num_iteration=booster.best_iteration)
        predicted[rows] = out.reshape(target.shape[1], len(rows)).T
    return np.minimum.accumulate(np.clip(predicted, 0.0, 1.0), axis=1)


def reachability(retain: dict, ceiling: dict, truth: dict, allowed: float = 0.10) -> dict:
    """How far 'Retain within `allowed` of the truth's integrated Brier' is from what the
    features can reach: the target, the ceiling's ratio to the truth, whether the ceiling
    meets the target, and the share of Retain's gap to the truth the ceiling closes."""
    r, c, t = (x["integrated_brier"] for x in (retain, ceiling, truth))
    return {
        "target_integrated_brier": round((1 + allowed) * t, 5),
        "ceiling_over_truth": round(c / t, 4),
        "retain_over_ceiling": round(r / c, 4),
        "ceiling_meets_target": bool(c <= (1 + allowed) * t),
        "reachable_share_of_retain_gap": round((r - c) / (r - t), 4) if r > t else None,
    }
