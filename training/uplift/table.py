"""Bring your own campaign table: offer uplift from a randomised campaign a team already has.

One row per customer of the campaign: the arm they were randomised to (one or more offers
and a control value), an outcome measured after it (binary, such as a visit, a conversion
or churn; or an amount, such as spend or revenue), optionally the cost of the contact, and
features as in `retain train-table` (numerics as float, anything else categorical).

The learner is an S-learner on LightGBM, bagged over cross-fitting folds: fold k's outcome
model is fitted on the other folds with the arm as one-hot inputs, and the model's uplift
is the mean over folds of mean_k(x, arm) - mean_k(x, control). Why: one model of the
outcome with the arm as an input shares every row between arms (the uplift of a campaign
is small next to the outcome's variance, and two separate models each see half the rows),
and averaging the fold models removes much of the variance a single S-learner's uplift
difference carries; each row's out-of-fold prediction comes from a model that never saw
it, so the training rows also evaluate the model honestly. The outcome model of an amount
(spend, revenue: mostly zeros, heavy-tailed) is a Tweedie model unless a squared-error or
hurdle one ranks the training rows clearly better out of fold
(`training.uplift.outcome_model`, `training.uplift.table_choice`). The fitted model is an
`UpliftModel` (`features.artefacts.uplift`), planned and served as those learnt from raw
tables.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from hashlib import sha256

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from features.artefacts.uplift import (
    CHURN_REDUCTION,
    NO_OFFER,
    REVENUE,
    UpliftModel,
    UpliftSpec,
    table_frame,
)
from features.definitions import CATEGORICAL, FEATURE_NAMES, feature_schema_version
from features.vector import model_frame
from training.uplift.evaluation import POOLED
from training.uplift.outcome_model import AMOUNT_MODELS, FoldOutcome
from training.uplift.pooled import Z_CONFIDENT
from training.uplift.table_choice import choose_amount_model, evaluate_table
from training.uplift.table_policy import best_arm, policy_gain, policy_values

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignTableSpec:
    treatment: str  # the arm column
    outcome: str
    control: str = "control"  # the arm column's value for the control group
    cost: str | None = None  # per-row contact cost of treated rows (same unit as a revenue)
    id_column: str | None = None
    ignore: tuple[str, ...] = ()  # columns that are neither features nor used (other outcomes)
    churn_outcome: bool = False  # a binary outcome where 1 is churn: uplift is its reduction


@dataclass(frozen=True)
class CampaignTable:
    X: pd.DataFrame  # features as `table_frame` gives them
    arm: np.ndarray  # arm name per row; NO_OFFER for the control
    y: np.ndarray
    binary: bool
    cost: dict[str, float]  # mean cost of a treated row per arm (0 without a cost column)
    categorical: tuple[str, ...]
    spec: CampaignTableSpec

    @property
    def arms(self) -> list[str]:
        return sorted(set(self.arm) - {NO_OFFER})

    @property
    def outcome_kind(self) -> str:
        if self.spec.churn_outcome:
            return CHURN_REDUCTION
        return f"{self.spec.outcome}_probability" if self.binary else REVENUE


def prepare_campaign(frame: pd.DataFrame, spec: CampaignTableSpec) -> CampaignTable:
    """Check and split a campaign table; every error names the column and the problem."""
    named = [spec.treatment, spec.outcome, spec.cost, spec.id_column, *spec.ignore]
    for c in (c for c in named if c is not None):
        if c not in frame.columns:
            raise ValueError(f"{c}: no such column (columns: {', '.join(map(str, frame.columns))})")
    if frame.empty:
        raise ValueError("table: no rows")
    raw_arm = frame[spec.treatment]
    if raw_arm.isna().any():
        raise ValueError(f"{spec.treatment}: {int(raw_arm.isna().sum())} rows have no arm")
    arm = raw_arm.astype(str).to_numpy(dtype=object)
    if spec.control not in set(arm):
        raise ValueError(f"{spec.treatment}: no row has the control value '{spec.control}'")
    if "" in set(arm):
        raise ValueError(f"{spec.treatment}: an empty arm name is not allowed")
    names = {a: offer_id(a) for a in set(arm) - {spec.control}}
    if len(set(names.values())) < len(names):
        raise ValueError(f"{spec.treatment}: arm names {sorted(names)} collide as offer ids")
    arm = np.array([NO_OFFER if a == spec.control else names[a] for a in arm], dtype=object)
    if (arm == NO_OFFER).all():
        raise ValueError(f"{spec.treatment}: every row is in the control; need a treated arm")
    y = pd.to_numeric(frame[spec.outcome].replace({True: 1, False: 0}), errors="coerce")
    if y.isna().any():
        raise ValueError(
            f"{spec.outcome}: {int(y.isna().sum())} rows are missing or not numbers "
            f"(first row {int(np.flatnonzero(y.isna().to_numpy())[0])})"
        )
    y = y.to_numpy(dtype=float)
    binary = bool(np.isin(y, (0.0, 1.0)).all())
    if spec.churn_outcome and not binary:
        raise ValueError(f"{spec.outcome}: a churn outcome must be 0/1")
    cost = {a: 0.0 for a in sorted(set(arm) - {NO_OFFER})}
    if spec.cost:
        c = pd.to_numeric(frame[spec.cost], errors="coerce").to_numpy(dtype=float)
        treated = arm != NO_OFFER
        if np.isnan(c[treated]).any() or (c[treated] < 0).any():
            raise ValueError(f"{spec.cost}: treated rows need a cost that is a number >= 0")
        cost = {a: float(c[arm == a].mean()) for a in cost}
    used = {c for c in named if c is not None}
    features = [c for c in frame.columns if c not in used]
    if not features:
        raise ValueError("table: no feature columns left")
    categorical = tuple(
        c
        for c in features
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
    )
    frame = frame.astype({c: float for c in features if frame[c].dtype == bool})
    if set(features) == set(FEATURE_NAMES):  # Retain's own vector: served like the others
        X, categorical = model_frame(frame), tuple(c for c in FEATURE_NAMES if c in CATEGORICAL)
    else:
        X = table_frame(frame, features, categorical)
    return CampaignTable(X.reset_index(drop=True), arm, y, binary, cost, categorical, spec)


def offer_id(arm: str) -> str:
    """An arm's offer id: LightGBM keeps only letters, digits, '_' and '-' of an input's
    name, and the one-hot inputs are named after the offer."""
    return re.sub(r"[^0-9A-Za-z_-]+", "_", str(arm))


@dataclass(frozen=True)
class TableUpliftConfig:
    folds: int = 5
    rounds: int = 200
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 100
    seed: int = 7
    threads: int = 2
    # An amount's outcome model (`training.uplift.outcome_model`): "auto" (the Tweedie
    # model unless another is clearly better out of fold: `training.uplift.table_choice`),
    # "mean", "tweedie" or "hurdle". A 0/1 outcome is always "binary".
    outcome_model: str = "auto"


class TableUplift:
    """`fit(table)`: `model_` (an `UpliftModel`, one column per arm), `oof_` (each training
    row's out-of-fold uplift per arm), `outcome_model_` (the kind kept), `oof_tables_` (per
    candidate kind, `evaluate_table` of its out-of-fold uplift) and `blanket_` (see `fit`)."""

    def __init__(self, *, config: TableUpliftConfig = TableUpliftConfig()):
        self.config = config

    def _params(self) -> dict:
        cfg = self.config
        return {
            "num_leaves": cfg.num_leaves,
            "learning_rate": cfg.learning_rate,
            "min_child_samples": cfg.min_child_samples,
            "seed": cfg.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": cfg.threads,
            "verbosity": -1,
        }

    def _candidates(self, table: CampaignTable) -> tuple[str, ...]:
        kind = self.config.outcome_model
        if kind not in ("auto", *AMOUNT_MODELS):
            raise ValueError(f"outcome_model: '{kind}' is not auto or one of {AMOUNT_MODELS}")
        if table.binary:
            return ("binary",)
        return AMOUNT_MODELS if kind == "auto" else (kind,)

    def fit(self, table: CampaignTable) -> TableUplift:
        cfg, arms = self.config, table.arms
        kinds = self._candidates(table)
        strata = pd.Series(table.arm).astype(str) + "|" + pd.Series(table.y > 0).astype(str)
        folds = StratifiedKFold(cfg.folds, shuffle=True, random_state=cfg.seed)
        oof = {k: np.zeros((len(table.y), len(arms))) for k in kinds}
        fitted: dict[str, list[FoldOutcome]] = {k: [] for k in kinds}
        sign = -1.0 if table.spec.churn_outcome else 1.0  # churn: uplift is its reduction
        for f, (tr, te) in enumerate(folds.split(table.X, strata)):
            held = table.X.iloc[te]
            for k in kinds:
                prefix = "s_fold" if k in ("binary", "mean") else f"s_{k}_fold"
                m = FoldOutcome(k, self._params(), cfg.rounds, arms, f"{prefix}{f}")
                m.fit(table.X.iloc[tr], table.arm[tr], table.y[tr])
                fitted[k].append(m)
                base = m.mean(held, NO_OFFER)
                for j, a in enumerate(arms):
                    oof[k][te, j] = sign * (m.mean(held, a) - base)
        oofs = {k: pd.DataFrame(v, columns=arms) for k, v in oof.items()}
        self.oof_tables_ = {k: evaluate_table(table, v, cfg.seed) for k, v in oofs.items()}
        kind = kinds[0] if len(kinds) == 1 else choose_amount_model(self.oof_tables_)
        log.info(
            "table uplift: outcome model %s (out-of-fold pooled Qini %s)",
            kind,
            {k: round(float(t.loc[POOLED, "qini"]), 5) for k, t in self.oof_tables_.items()},
        )
        w = sign / len(fitted[kind])
        boosters = {n: b for m in fitted[kind] for n, b in m.boosters.items()}
        offers = {a: tuple(t for m in fitted[kind] for t in m.terms(w)) for a in arms}
        spec = UpliftSpec(
            "table",
            offers,
            table_schema(table),
            outcome=table.outcome_kind,
            features=() if is_retain_vector(table) else tuple(table.X.columns),
            categorical=() if is_retain_vector(table) else table.categorical,
        )
        self.model_ = UpliftModel(spec, boosters)
        self.outcome_model_ = kind
        self.oof_ = oofs[kind]
        values = policy_values(table, self.oof_)
        personal = values.pop("personalised")
        best = max(values, key=values.get)
        # Default everyone to the best blanket arm (or nothing) by the randomised rows'
        # estimate; deviate per customer only when, on the training rows' out-of-fold
        # estimates, the personalised plan beats that default with one-sided 95% confidence
        # (Z_CONFIDENT standard errors of the paired inverse-propensity difference): with
        # little or uninformative data a noisy per-customer plan loses to the best arm.
        gap, se = policy_gain(table, self.oof_, best)
        self.blanket_ = None if gap - Z_CONFIDENT * se > 0 else best
        self.policy_values_ = values | {"personalised": personal, "personalised_gain_se": se}
        return self

    def plan(self, frame: pd.DataFrame, cost: dict[str, float]) -> np.ndarray:
        """The arm for each row of `frame` (NO_OFFER: nothing), net of `cost`."""
        if self.blanket_ is not None:
            arm = NO_OFFER if self.blanket_ == "no_offer" else self.blanket_
            return np.full(len(frame), arm, dtype=object)
        return best_arm(self.model_.predict(frame), cost)


def is_retain_vector(table: CampaignTable) -> bool:
    return list(table.X.columns) == list(FEATURE_NAMES)


def table_schema(table: CampaignTable) -> str:
    """The schema tag of a table model: Retain's feature schema when its inputs are Retain's
    feature vector, else a digest of its own inputs, so that serving (which checks the tag
    against Retain's feature schema) refuses a model whose inputs it cannot build."""
    if is_retain_vector(table):
        return feature_schema_version()
    text = "|".join(table.X.columns) + "#" + "|".join(table.categorical)
    return f"table-{sha256(text.encode()).hexdigest()[:16]}"
