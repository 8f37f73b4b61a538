"""DR-learner of offer uplift (Kennedy 2020, "Towards optimal doubly robust estimation of
heterogeneous causal effects"): heterogeneous effects from the randomised campaign rows.

For each offer o, on the rows sent o and the controls (e = the share sent o among them:
treatment is randomised, so the propensity is known):

    phi = mu_o(x) - mu_0(x) + t (y - mu_o(x)) / e - (1 - t) (y - mu_0(x)) / (1 - e)

with the outcome models mu_o (rows sent o) and mu_0 (controls) cross-fitted (`folds`: each
row's mu comes from boosters that never saw it), and tau_o(x) = E[phi | x] a LightGBM
regression on every row of the pair. The outcome is "retained" (1 - churned within the
horizon), so tau_o is the reduction of the churn probability, the unit of the pooled
save-rate learner and of the planner.

Why not causalml's `BaseDRLearner` (installed): it takes a numeric matrix, so its boosters
would neither take Retain's categorical features nor name their inputs, and the exported
`UpliftModel` (evaluated by serving by feature name, without training) could not hold
them; the estimator itself is the few lines below.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from features.artefacts.uplift import Term, UpliftModel, UpliftSpec
from features.definitions import feature_schema_version
from features.vector import model_frame
from training.uplift.data import acceptance_rates
from training.uplift.learners import UpliftConfig, _params

FOLDS = 3


def pseudo_outcome(y, t, mu1, mu0, e: float) -> np.ndarray:
    """Kennedy's doubly robust pseudo-outcome for a treatment with known propensity `e`."""
    y, t = np.asarray(y, dtype=float), np.asarray(t, dtype=float)
    return mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)


class DRUplift:
    """`fit(campaigns)`: `campaigns` has the feature vectors with offer_id, treated and
    churned; `predict(X)` gives one column per offer (reduction of the churn probability)."""

    def __init__(self, *, config: UpliftConfig = UpliftConfig(), seed: int = 7, threads: int = 2):
        self.config = config
        self.seed = seed
        self.threads = threads

    def _booster(self, X: pd.DataFrame, y: np.ndarray, objective: str) -> lgb.Booster:
        params = _params(objective, self.config, self.seed, self.threads)
        return lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=self.config.rounds)

    def fit(self, campaigns: pd.DataFrame) -> DRUplift:
        t = campaigns["treated"].to_numpy(dtype=bool)
        if t.all() or not t.any():
            raise ValueError("treated: need both treated and control rows")
        X = model_frame(campaigns).reset_index(drop=True)
        retained = 1.0 - campaigns["churned"].to_numpy(dtype=float)
        offer = campaigns["offer_id"].to_numpy(dtype=object)
        arm = np.where(t, offer, "")
        offers = sorted(set(offer[t]))
        # Cross-fitted outcome models: mu_0 and every mu_o predicted on each row out of fold.
        mu = {a: np.zeros(len(X)) for a in ["", *offers]}
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=self.seed)
        for tr, te in folds.split(X, arm):
            for a in mu:
                m = tr[arm[tr] == a]
                if len(m) == 0 or len(set(retained[m])) < 2:
                    mu[a][te] = retained[m].mean() if len(m) else retained[tr].mean()
                    continue
                mu[a][te] = self._booster(X.iloc[m], retained[m], "binary").predict(X.iloc[te])
        boosters, spec_offers = {}, {}
        for o in offers:
            pair = (arm == o) | (arm == "")
            e = float((arm[pair] == o).mean())
            phi = pseudo_outcome(retained[pair], arm[pair] == o, mu[o][pair], mu[""][pair], e)
            name = f"dr_tau_{o}.lgb"
            boosters[name] = self._booster(X[pair], phi, "regression")
            spec_offers[o] = (Term(name, 1.0),)
        self.offers_ = offers
        spec = UpliftSpec(
            "dr", spec_offers, feature_schema_version(), acceptance=acceptance_rates(campaigns)
        )
        self.model_ = UpliftModel(spec, boosters)
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.model_.predict(X)
