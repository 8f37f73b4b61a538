"""A value model boosted from a probabilistic prior: LightGBM learns a multiplicative
correction to a buy-till-you-die forecast (BG/NBD or Pareto/NBD with Gamma-Gamma).

The prior carries the level and the horizon (it knows how purchases decay with time since
the last one); the trees learn where it is wrong from behaviour it does not see. Fitted
with a log-link objective (Tweedie) and the log of the prior as LightGBM's `init_score`,
so prediction = prior * exp(trees). Because the correction is a ratio, a model learnt on a
short label window applies to a longer one whose prior is computed for that horizon.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd


class AnchoredValueModel:
    """Tweedie LightGBM with `offset_column` (the prior forecast, same units as y) as offset."""

    def __init__(
        self,
        *,
        offset_column: str,
        num_leaves: int = 15,
        learning_rate: float = 0.03,
        rounds: int = 300,
        min_data_in_leaf: int = 100,
        tweedie_variance_power: float = 1.5,
        seed: int = 7,
        threads: int = 2,
    ):
        self.offset_column = offset_column
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.rounds = rounds
        self.min_data_in_leaf = min_data_in_leaf
        self.tweedie_variance_power = tweedie_variance_power
        self.seed = seed
        self.threads = threads

    def _split(self, X: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        if self.offset_column not in X.columns:
            raise KeyError(f"{self.offset_column}: offset column missing from the features")
        prior = X[self.offset_column].to_numpy(dtype=float)
        if np.any(~np.isfinite(prior)) or np.any(prior < 0):
            raise ValueError(f"{self.offset_column}: prior must be finite and non-negative")
        return X, np.log(np.clip(prior, 1e-6, None))

    def fit(self, X: pd.DataFrame, y) -> AnchoredValueModel:
        X, offset = self._split(X)
        params = {
            "objective": "tweedie",
            "tweedie_variance_power": self.tweedie_variance_power,
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.threads,
            "verbosity": -1,
        }
        data = lgb.Dataset(X, label=np.asarray(y, dtype=float), init_score=offset)
        self.booster_ = lgb.train(params, data, num_boost_round=self.rounds)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Prior times the learnt correction (the booster's raw score excludes the offset)."""
        X, offset = self._split(X)
        return np.exp(offset + self.booster_.predict(X, raw_score=True))
