"""Stacked value forecasts: a non-negative linear blend of several forecasts of the same
spend, with weights learnt on a later window than the one the forecasts were fitted on.

Each family of value model is wrong in its own way: a buy-till-you-die model knows how
purchases decay but not behaviour it does not model; trees see that behaviour but must
scale a short label window to a long horizon. The blend weights are the least-squares fit
of the actual spend on the forecasts, constrained to be non-negative (no forecast is ever
used against its own direction) and without an intercept (zero forecasts stay zero). The
validation window must be later than every window the forecasts learnt from, so the
weights measure out-of-time error, not fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression


class StackedForecast:
    """Non-negative least-squares weights over the columns of a forecast table."""

    def fit(self, forecasts: pd.DataFrame, y) -> StackedForecast:
        X = self._check(forecasts)
        y = np.asarray(y, dtype=float)
        if len(y) != len(X):
            raise ValueError(f"y: {len(y)} rows, forecasts: {len(X)} rows")
        if not np.all(np.isfinite(y)):
            raise ValueError("y: actual spend must be finite")
        model = LinearRegression(positive=True, fit_intercept=False).fit(X, y)
        self.columns_ = list(forecasts.columns)
        self.weights_ = dict(zip(self.columns_, map(float, model.coef_), strict=True))
        if not any(self.weights_.values()):
            raise ValueError("forecasts: none has a positive least-squares weight")
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
