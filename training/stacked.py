"""Stacked value forecasts: a non-negative linear blend of several forecasts of the same
spend, with weights learnt on a later window than the one the forecasts were fitted on.

Each family of value model is wrong in its own way: a buy-till-you-die model knows how
purchases decay but not behaviour it does not model; trees see that behaviour but must
scale a short label window to a long horizon. The blend weights are the least-squares fit
of the actual spend on the forecasts, constrained to be non-negative (no forecast is ever
used against its own direction) and without an intercept (zero forecasts stay zero). The
validation window must be later than every window the forecasts learnt from, so the
weights measure out-of-time error, not fit.

Least squares without an intercept does not preserve the total: the heaviest spenders
dominate the fit, and the blend's sum over the validation rows can miss the actual sum.
With `balance` (the default), the weights are then scaled together so the blend's total
on the validation rows equals the actual total: the balance property a log-link GLM has
by construction and actuarial practice asks of every value model. Ranking is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression


class StackedForecast:
    """Non-negative least-squares weights over the columns of a forecast table."""

    def __init__(self, balance: bool = True):
        self.balance = balance

    def fit(self, forecasts: pd.DataFrame, y) -> StackedForecast:
        X = self._check(forecasts)
        y = np.asarray(y, dtype=float)
        if len(y) != len(X):
            raise ValueError(f"y: {len(y)} rows, forecasts: {len(X)} rows")
        if not np.all(np.isfinite(y)):
            raise ValueError("y: actual spend must be finite")
        model = LinearRegression(positive=True, fit_intercept=False).fit(X, y)
        weights = model.coef_
        if not np.any(weights > 0):
            raise ValueError("forecasts: none has a positive least-squares weight")
        self.balance_factor_ = float(y.sum() / (X @ weights).sum()) if self.balance else 1.0
        self.columns_ = list(forecasts.columns)
        self.weights_ = dict(
            zip(self.columns_, map(float, weights * self.balance_factor_), strict=True)
        )
        return self

    def predict(self, forecasts: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.columns_ if c not in forecasts.columns]
        if missing:
            raise KeyError(f"{', '.join(missing)}: forecast column missing")
        X = self._check(forecasts[self.columns_])
        return X @ np.array([self.weights_[c] for c in self.columns_])

    @staticmethod
    def _check(forecasts: pd.DataFrame) -> np.ndarray:
        X = forecasts.to_numpy(dtype=float)
        bad = [
            c
            for c, v in zip(forecasts.columns, X.T, strict=True)
            if not np.all(np.isfinite(v)) or np.any(v < 0)
        ]
        if bad:
            raise ValueError(f"{', '.join(bad)}: forecasts must be finite and non-negative")
        return X
