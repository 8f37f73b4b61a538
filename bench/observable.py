"""The observable oracle: the best a model of observable behaviour can know of each
(subscriber, offer)'s true expected net gain, and so a reachable yardstick for a planner that
only sees behaviour (issue: "the ceiling must be a strong one").

Two cross-fitted models of the truth's gains from Retain's feature vector, both reported:

- `direct`: one LightGBM regressing the gain itself, the offer as one-hot inputs;
- `structured`: the gain as the truth composes it, (p - p_treated) x value if retained -
  expected cost, each part its own LightGBM: the churn probability p (cross-entropy on the
  truth's probability), the saved probability p - p_treated per offer, the value if retained,
  and the expected cost per offer. A single regression on the product is dominated by its
  heavy tail (a few high-value subscribers carry most of the squared error); the parts are
  each well-behaved.

Every model is cross-fitted the same way: fold k is predicted by a booster trained on the
folds other than k and k + 1, early-stopped on fold k + 1, with the churn model's settings
(`ChurnConfig`) and its round limit raised to 2,000. Each variant's quality against the truth
on held-out folds: Spearman and R^2 of its predicted gains, and the expected Qini of the
predicted gains as a share of the perfect ranking's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ROUNDS = 2_000


def _quality(predicted: np.ndarray, target: np.ndarray) -> dict:
    from scipy.stats import spearmanr

    from training.uplift.metrics import expected_qini

    known = np.isfinite(predicted) & np.isfinite(target)
    p, t = predicted[known], target[known]
    return {
        "spearman": round(float(spearmanr(p, t).statistic), 4),
        "r2": round(float(1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)), 4),
        "expected_qini_share": round(expected_qini(t, p) / expected_qini(t, t), 4),
    }


class _CrossFit:
    """Out-of-fold predictions of LightGBM models over fixed folds of subscribers; rows of a
    stacked (offer-major) frame follow their subscriber's fold."""

    def __init__(self, X: pd.DataFrame, offers: list[str], seed: int, folds: int, threads: int):
        from training.config import ChurnConfig
        from training.models import booster_params

        self.X, self.offers, self.folds = X, offers, folds
        self.fold = np.random.default_rng(seed).permutation(len(X)) % folds
        self.cfg = ChurnConfig()
        self.params = booster_params(self.cfg, seed, threads=threads)

    def _stack(self, rows: np.ndarray) -> pd.DataFrame:
        parts = [
            self.X.iloc[rows].assign(**{f"offer_is_{o}": float(o == offer) for o in self.offers})
            for offer in self.offers
        ]
        return pd.concat(parts, ignore_index=True)

    def predict(self, target: np.ndarray, objective: str, per_offer: bool) -> np.ndarray:
        """Out-of-fold predictions of `target` (rows, or rows x offers when `per_offer`;
        NaN targets are left out of training and predicted all the same)."""
        import lightgbm as lgb

        params = self.params | {"objective": objective}
        n_offers = len(self.offers)

        def data(rows):
            if per_offer:
                return self._stack(rows), target[rows].T.ravel()  # offer-major, as the stack
            return self.X.iloc[rows], target[rows]

        out = np.full(target.shape, np.nan)
        for k in range(self.folds):
            stop = (k + 1) % self.folds
            Xt, yt = data(np.flatnonzero((self.fold != k) & (self.fold != stop)))
            Xs, ys = data(np.flatnonzero(self.fold == stop))
            kt, ks = np.isfinite(yt), np.isfinite(ys)
            booster = lgb.train(
                params,
                lgb.Dataset(Xt[kt], label=yt[kt]),
                num_boost_round=ROUNDS,
                valid_sets=[lgb.Dataset(Xs[ks], label=ys[ks])],
                callbacks=[lgb.early_stopping(self.cfg.early_stopping_rounds, verbose=False)],
            )
            rows = np.flatnonzero(self.fold == k)
            Xk, _ = data(rows)
            p = booster.predict(Xk, num_iteration=booster.best_iteration)
            out[rows] = p.reshape(n_offers, len(rows)).T if per_offer else p
        return out


def observable_oracle(
    vectors: pd.DataFrame,
    truth: pd.DataFrame,
    offers: list[str],
    allowed: np.ndarray,
    seed: int = 7,
    folds: int = 5,
    threads: int = 2,
) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Both variants (see the module): {name: (out-of-fold gains aligned with `vectors`,
    rows x offers, NaN where `allowed` (the catalogue's eligibility) is False; quality)}."""
    from features.vector import model_frame
    from serving.policies import TRUTH_COLUMNS, true_gains

    missing = [c for c in TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise KeyError(f"truth: missing columns {missing}")
    ids = vectors["subscriber_id"].to_numpy()
    target = true_gains(truth).reindex(index=ids, columns=offers).to_numpy(dtype=float, copy=True)
    target[~allowed] = np.nan
    fit = _CrossFit(model_frame(vectors).reset_index(drop=True), offers, seed, folds, threads)

    def wide(column: str) -> np.ndarray:
        t = truth.pivot(index="subscriber_id", columns="offer_id", values=column)
        values = t.reindex(index=ids, columns=offers).to_numpy(dtype=float, copy=True)
        values[~allowed] = np.nan
        return values

    per_sub = truth.groupby("subscriber_id")[
        ["churn_probability_30d", "expected_value_vnd_90d_if_retained"]
    ].mean()
    per_sub = per_sub.reindex(ids)
    churn = fit.predict(per_sub["churn_probability_30d"].to_numpy(float), "cross_entropy", False)
    value = fit.predict(
        per_sub["expected_value_vnd_90d_if_retained"].to_numpy(float), "regression", False
    )
    saved = fit.predict(
        wide("churn_probability_30d") - wide("churn_probability_30d_treated"), "regression", True
    )
    cost = fit.predict(wide("cost_vnd"), "regression", True)
    # The structured model's churn probability bounds the saved probability it can claim.
    structured = np.minimum(saved, churn[:, None]) * value[:, None] - cost
    direct = fit.predict(target, "regression", True)
    out = {}
    for name, gains in (("direct", direct), ("structured", structured)):
        gains = np.where(allowed, gains, np.nan)
        out[name] = (pd.DataFrame(gains, columns=offers), _quality(gains, target))
    return out
