"""Offer-uplift meta-learners on LightGBM (Kuenzel et al. 2019): T- and X-learners.
(The default learner, pooled over offers and campaigns, is `training.uplift.pooled`.)

Learnt from past campaigns with randomised control groups. The outcome is churn within
30 days of the campaign; uplift is the reduction of the churn probability that sending an
offer causes. All controls serve as the control arm of every offer (treatment and offer
are randomised independently). Fitted learners export an `UpliftModel` (native boosters
and a spec) that serving evaluates without importing training.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.artefacts.uplift import Term, UpliftModel, UpliftSpec
from features.definitions import feature_schema_version
from features.vector import model_frame

LEARNERS = ("auto", "s", "dr", "t", "x")


@dataclass(frozen=True)
class UpliftConfig:
    # "auto": "s" or "dr" by out-of-fold Qini (training.uplift.choice); "s" pooled
    # save-rate (training.uplift.pooled); "dr" DR-learner (training.uplift.dr); "t" or "x"
    learner: str = "auto"
    num_leaves: int = 15
    learning_rate: float = 0.05
    rounds: int = 150
    min_data_in_leaf: int = 40
    feature_fraction: float = 0.8
    lambda_l2: float = 5.0
    baseline_num_leaves: int = 31  # "s": the no-offer churn baseline on the untargeted base
    baseline_rounds: int = 300
    baseline_rows: int = 50_000  # a seeded sample of the untargeted base (0 = all of it)


def _params(objective: str, cfg: UpliftConfig, seed: int, threads: int, leaves: int = 0) -> dict:
    return {
        "objective": objective,
        "num_leaves": leaves or cfg.num_leaves,
        "learning_rate": cfg.learning_rate,
        "min_data_in_leaf": cfg.min_data_in_leaf,
        "feature_fraction": cfg.feature_fraction,
        "lambda_l2": cfg.lambda_l2,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": threads,
        "verbosity": -1,
    }


def _fit(
    X: pd.DataFrame, y: np.ndarray, objective: str, cfg: UpliftConfig, seed: int, threads: int
) -> lgb.Booster:
    params = _params(objective, cfg, seed, threads)
    return lgb.train(params, lgb.Dataset(model_frame(X), label=y), num_boost_round=cfg.rounds)


class OfferUplift:
    """Per-offer uplift of churn: `fit(X, offer, treated, churned)`, `predict(X)` gives one
    column per offer (reduction of the 30-day churn probability)."""

    def __init__(
        self, *, config: UpliftConfig = UpliftConfig(learner="x"), seed: int = 7, threads: int = 2
    ):
        self.config = config
        self.seed = seed
        self.threads = threads

    def fit(self, X: pd.DataFrame, offer, treated, churned) -> OfferUplift:
        offer = np.asarray(offer, dtype=object)
        t = np.asarray(treated, dtype=bool)
        y = np.asarray(churned, dtype=float)
        if self.config.learner not in ("t", "x"):
            raise ValueError(f"learner: '{self.config.learner}' is not 't' or 'x'")
        if t.all() or not t.any():
            raise ValueError("treated: need both treated and control rows")
        cfg, seed, th = self.config, self.seed, self.threads
        X = X.reset_index(drop=True)
        boosters = {"mu_control.lgb": _fit(X[~t], y[~t], "binary", cfg, seed, th)}
        offers: dict[str, tuple[Term, ...]] = {}
        for o in sorted(set(offer[t])):
            m = t & (offer == o)
            mu1 = f"mu_treated_{o}.lgb"
            boosters[mu1] = _fit(X[m], y[m], "binary", cfg, seed, th)
            if cfg.learner == "t":
                offers[o] = (Term("mu_control.lgb", 1.0), Term(mu1, -1.0))
                continue
            X1, X0 = model_frame(X[m]), model_frame(X[~t])
            d1 = boosters["mu_control.lgb"].predict(X1) - y[m]  # treated: counterfactual - observed
            d0 = y[~t] - boosters[mu1].predict(X0)  # control: observed - counterfactual
            tau1, tau0 = f"tau_treated_{o}.lgb", f"tau_control_{o}.lgb"
            boosters[tau1] = _fit(X[m], d1, "regression", cfg, seed, th)
            boosters[tau0] = _fit(X[~t], d0, "regression", cfg, seed, th)
            g = m.sum() / (m.sum() + (~t).sum())  # randomised: propensity is the arm's share
            offers[o] = (Term(tau0, float(g)), Term(tau1, float(1.0 - g)))
        used = {term.booster for terms in offers.values() for term in terms}
        self.model_ = UpliftModel(
            UpliftSpec(cfg.learner, offers, feature_schema_version()),
            {k: v for k, v in boosters.items() if k in used},
        )
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.model_.predict(X)
