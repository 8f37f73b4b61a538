"""Pooled save-rate uplift: one low-variance learner for every offer and every campaign.

    uplift(x, o) = w x P(accept | x, o) x P(churn | x, no offer)

- P(churn | x, no offer): LightGBM on the subscribers eligible on a campaign day whom no
  campaign targeted (a seeded sample of `baseline_rows` of them: tens of thousands of rows,
  not the few hundred controls);
- P(accept | x, o): LightGBM on every treated campaign row, all offers pooled, the offer as
  one-hot inputs, so the persona-offer fit is learnt from all of them; acceptance is seen
  on every treated row, churn only on a few;
- w: the share of an accepter's churn risk that the offer removes, the one causal number,
  from the randomised rows of all campaigns pooled: the churn residual regressed on
  -treated x m (m = P(accept) x P(churn)), adjusting for m and P(churn) (a baseline that
  is miscalibrated on the targeted pool must not pass for an effect), by ordinary least
  squares with a heteroscedasticity-robust (sandwich) standard error: the regression
  adjustment of a randomised experiment. Not weighted by 1 / (P(churn)(1 - P(churn))): those
  weights are efficient only where P(churn) is right, and the baseline is fitted on the
  untargeted base, so on the targeted pool a few rows it puts near zero carry weights in the
  thousands and make both the estimate and its error (simulated with a baseline off by a
  lognormal factor of sd 0.7 at 50k rows: se 0.15 weighted, 0.06 unweighted; on the 200k
  operator 0.18 from 52k rows, about what 5k rows give at 20k). The planner uses the
  posterior mean under a fixed prior N(0, PRIOR_SD^2), w x tau^2 / (tau^2 + se^2): the
  prior's weight does not grow with the data, so the shrinkage vanishes as the randomised
  rows grow (se ~ 1/sqrt(n)); and only when the rows reject "no effect" at one-sided 5%
  (w > Z_CONFIDENT x se): an effect the campaigns cannot tell from zero buys no contacts
  (0 then, and never below 0 or above 1).

Why: a campaign of a few hundred rows per offer, 80% treated, with a churn rate near 5%,
cannot tell one meta-learner's heterogeneous effects from noise (on the default operator
even the true uplift ranks the latest campaign below random by Qini). Pooling, and leaving
to the randomised rows only the one number that needs them, keeps the variance low. The
model is exported in the common `UpliftModel` form (a product term per offer).
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.artefacts.uplift import OFFER_PREFIX, Term, UpliftModel, UpliftSpec
from features.definitions import feature_schema_version
from features.vector import model_frame
from training.uplift.data import acceptance_rates
from training.uplift.learners import UpliftConfig, _params

BASELINE, ACCEPT = "churn_no_offer.lgb", "accept.lgb"


PRIOR_SD = 0.5  # a save rate is a share of risk in [0, 1]: a weak prior, fixed in n
Z_CONFIDENT = 1.645  # one-sided 95%


@dataclass(frozen=True)
class SaveRate:
    """The estimated share of an accepter's risk removed, its standard error and the value
    the model uses (the posterior mean when the effect is confidently positive, else 0)."""

    estimate: float
    se: float
    used: float
    rows: int


def planned_rate(w: float, se: float) -> float:
    """The save rate the planner uses (see the module docstring): the posterior mean under
    N(0, PRIOR_SD^2) when w > Z_CONFIDENT x se, else 0; within [0, 1]."""
    if not w > Z_CONFIDENT * se:
        return 0.0
    return float(min(1.0, w * PRIOR_SD**2 / (PRIOR_SD**2 + se * se)))


def save_rate(churned, treated, p_churn, p_accept) -> SaveRate:
    """`w` of the module docstring from randomised campaign rows (see there)."""
    y = np.asarray(churned, dtype=float)
    t = np.asarray(treated, dtype=float)
    p = np.clip(np.asarray(p_churn, dtype=float), 1e-4, 1 - 1e-4)
    m = p * np.asarray(p_accept, dtype=float)
    A = np.column_stack([np.ones(len(y)), -t * m, m, p])
    r = y - p
    H = A.T @ A
    beta = np.linalg.lstsq(H, A.T @ r, rcond=None)[0]
    e = r - A @ beta
    Hi = np.linalg.pinv(H)
    cov = Hi @ (A.T @ (A * (e**2)[:, None])) @ Hi  # sandwich (heteroscedasticity-robust)
    w, se = float(beta[1]), float(np.sqrt(max(cov[1, 1], 0.0)))
    return SaveRate(w, se, planned_rate(w, se), len(y))


def with_offer(X: pd.DataFrame, offer_ids, offers: list[str]) -> pd.DataFrame:
    """Model inputs with the one-hot offer columns appended."""
    oid = np.asarray(offer_ids, dtype=object)
    extra = {f"{OFFER_PREFIX}{o}": (oid == o).astype(float) for o in offers}
    return model_frame(X).assign(**extra)


class PooledSaveRate:
    """`fit(campaigns, base)`: `campaigns` has the feature vectors of every campaign row with
    offer_id, treated, accepted and churned; `base` those of untargeted eligible
    subscribers with churned. `predict(X)` gives one column per offer."""

    def __init__(self, *, config: UpliftConfig = UpliftConfig(), seed: int = 7, threads: int = 2):
        self.config = config
        self.seed = seed
        self.threads = threads

    def fit(
        self, campaigns: pd.DataFrame, base: pd.DataFrame, baseline: lgb.Booster | None = None
    ) -> PooledSaveRate:
        """`baseline`: a no-offer churn booster already fitted on `base` (cross-fitting
        refits only what depends on the campaign rows)."""
        cfg = self.config
        t = campaigns["treated"].to_numpy(dtype=bool)
        if t.all() or not t.any():
            raise ValueError("treated: need both treated and control rows")
        if base.empty:
            raise ValueError("base: no untargeted rows to learn the churn baseline from")
        offers = sorted(set(campaigns.loc[t, "offer_id"]))
        mu0 = baseline if baseline is not None else self.baseline(base)
        treated = campaigns[t]
        acc = lgb.train(
            _params("binary", cfg, self.seed, self.threads),
            lgb.Dataset(
                with_offer(treated, treated["offer_id"], offers),
                label=treated["accepted"].to_numpy(dtype=float),
            ),
            num_boost_round=cfg.rounds,
        )
        p = mu0.predict(model_frame(campaigns))
        a = acc.predict(with_offer(campaigns, campaigns["offer_id"], offers))
        self.save_rate_ = save_rate(campaigns["churned"], t, p, a)
        self.offers_ = offers
        spec = UpliftSpec(
            "s",
            {o: (Term(ACCEPT, self.save_rate_.used, (BASELINE,)),) for o in offers},
            feature_schema_version(),
            acceptance=acceptance_rates(campaigns),
        )
        self.model_ = UpliftModel(spec, {BASELINE: mu0, ACCEPT: acc})
        return self

    def baseline(self, base: pd.DataFrame) -> lgb.Booster:
        """P(churn | x, no offer) from a seeded sample of the untargeted base."""
        cfg = self.config
        if 0 < cfg.baseline_rows < len(base):
            base = base.sample(n=cfg.baseline_rows, random_state=self.seed)
        return lgb.train(
            _params("binary", cfg, self.seed, self.threads, leaves=cfg.baseline_num_leaves),
            lgb.Dataset(model_frame(base), label=base["churned"].to_numpy(dtype=float)),
            num_boost_round=cfg.baseline_rounds,
        )

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        return self.model_.predict(X)
