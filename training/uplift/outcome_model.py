"""The outcome models of the table S-learner (`training.uplift.table`), one per kind of
outcome, each fitted per cross-fitting fold with the arm as one-hot inputs:

- "binary": P(outcome | x, arm), LightGBM's binary objective (a 0/1 outcome);
- "mean": E[amount | x, arm], squared error (LightGBM's "regression");
- "tweedie": E[amount | x, arm] with LightGBM's Tweedie objective (log link, variance
  power TWEEDIE_POWER): the compound Poisson-gamma model of an amount that is exactly 0
  for most rows and heavy-tailed above it (Jorgensen 1987), so that a few large amounts do
  not dominate the squared error of the mean model;
- "hurdle": P(amount > 0 | x, arm) x E[amount | amount > 0, x, arm], a binary booster on
  every row times a squared-error booster on the positive rows (Cragg 1971): who spends is
  learnt from every row, how much from the few who do.

Every kind predicts the outcome's mean, and its uplift for an arm is
mean(x, arm) - mean(x, control); the terms exported to the `UpliftModel` are those of that
difference (a product of the two boosters for "hurdle"), so serving evaluates each kind
without knowing which it is.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.artefacts.uplift import NO_OFFER, OFFER_PREFIX, Term

AMOUNT_MODELS = ("mean", "tweedie", "hurdle")
TWEEDIE_POWER = 1.5  # between Poisson (1) and gamma (2): LightGBM's default


def with_arms(X: pd.DataFrame, arm, arms: list[str]) -> pd.DataFrame:
    """The inputs with one one-hot column per arm (all 0: the control)."""
    a = np.asarray(arm, dtype=object)
    return X.assign(**{f"{OFFER_PREFIX}{o}": (a == o).astype(float) for o in arms})


class FoldOutcome:
    """One fold's outcome model of `kind`: `fit(X, arm, y)`; `mean(X, arm)` predicts the
    outcome's mean for every row sent `arm`; `boosters` names its boosters (prefix `name`)
    and `terms(weight)` gives the uplift terms (weight x (mean(arm) - mean(control)))."""

    def __init__(self, kind: str, params: dict, rounds: int, arms: list[str], name: str):
        if kind not in ("binary", *AMOUNT_MODELS):
            raise ValueError(f"outcome_model: '{kind}' is not binary or one of {AMOUNT_MODELS}")
        self.kind, self.params, self.rounds, self.arms, self.name = kind, params, rounds, arms, name

    def _train(self, objective: str, X: pd.DataFrame, y: np.ndarray, **extra) -> lgb.Booster:
        params = self.params | {"objective": objective} | extra
        return lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=self.rounds)

    def fit(self, X: pd.DataFrame, arm: np.ndarray, y: np.ndarray) -> FoldOutcome:
        Xa = with_arms(X, arm, self.arms)
        if self.kind == "hurdle":
            positive = y > 0
            if positive.sum() < 2:
                raise ValueError("outcome: the hurdle model needs at least 2 positive amounts")
            self.boosters = {
                f"{self.name}_positive.lgb": self._train("binary", Xa, positive.astype(float)),
                f"{self.name}_amount.lgb": self._train("regression", Xa[positive], y[positive]),
            }
            return self
        extra = {"tweedie_variance_power": TWEEDIE_POWER} if self.kind == "tweedie" else {}
        objective = "regression" if self.kind == "mean" else self.kind
        self.boosters = {f"{self.name}.lgb": self._train(objective, Xa, y, **extra)}
        return self

    def mean(self, X: pd.DataFrame, arm: str) -> np.ndarray:
        Xa = with_arms(X, np.full(len(X), arm, dtype=object), self.arms)
        out = np.ones(len(X))
        for b in self.boosters.values():  # hurdle: P(> 0) x E[amount | > 0]; else one
            out = out * b.predict(Xa)
        return out

    def terms(self, weight: float) -> tuple[Term, ...]:
        first, *times = self.boosters
        return (
            Term(first, weight, tuple(times)),
            Term(first, -weight, tuple(times), arm=NO_OFFER),
        )
