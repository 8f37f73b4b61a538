"""The one scoring path: feature vectors in, the answer per subscriber out.

`score_columns` is what the HTTP service, the local batch job and the Spark batch job all
call; handlers only translate. It takes columns (a DataFrame, or a dict of equal-length
sequences) that passed the boundary check (`features.vector.split_valid` or the request
schema), and returns the columns of `ANSWER_SCHEMA`.

Categorical features are encoded exactly as LightGBM encodes a pandas category column
(the model file stores each column's training categories; unseen values become missing),
but straight into one float matrix: that keeps a one-subscriber answer well under a
millisecond and gives the batch job the same numbers bit for bit.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa

from features.artefacts.btyd import btyd_columns, value_prediction
from features.artefacts.survival import MONTHS_AHEAD, hazards, survival_from_hazards
from features.artefacts.uplift import OFFER_PREFIX, offer_columns, pooled
from features.labels import trailing_revenue_vnd_90d
from serving.answer import ANSWER_COLUMNS, ANSWER_SCHEMA
from serving.decision import best_of, gains_matrix
from serving.language import DEFAULT_LANGUAGE
from serving.names import display_names
from serving.reasons import top_reasons
from serving.registry import Models, PinnedModel
from serving.segments import (
    SegmentConfig,
    let_go,
    relationship_state,
    retention_values,
    risk_band,
    value_tier,
)

# Below this many rows a Python dict lookup beats building a pandas Categorical.
_SMALL = 512


@functools.cache
def _encoder(booster: lgb.Booster) -> tuple[tuple[str, ...], dict[str, dict[Any, float]]]:
    """Feature order and, per categorical column, the value -> code map stored in the model."""
    names = tuple(booster.feature_name())
    cats = booster.pandas_categorical or []
    cat_cols = [n for n in names if n in _categorical_names()]
    if len(cats) != len(cat_cols):
        raise ValueError(
            f"model: {len(cats)} stored category lists for {len(cat_cols)} categorical features"
        )
    return names, {
        c: {v: float(i) for i, v in enumerate(cs)} for c, cs in zip(cat_cols, cats, strict=True)
    }


@functools.cache
def _categorical_names() -> frozenset[str]:
    from features.definitions import CATEGORICAL

    return frozenset(CATEGORICAL)


def encode(columns: Mapping[str, Any], booster: lgb.Booster) -> np.ndarray:
    """The float matrix `booster` takes, in its feature order."""
    names, maps = _encoder(booster)
    n = len(columns["subscriber_id"])
    X = np.empty((n, len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        col = columns[name]
        if name in maps:
            codes = maps[name]
            if n <= _SMALL:
                X[:, j] = [codes.get(v, np.nan) if _is_value(v) else np.nan for v in col]
            else:
                cat = pd.Categorical(np.asarray(col, dtype=object), categories=list(codes))
                c = cat.codes.astype(np.float64)
                c[c < 0] = np.nan
                X[:, j] = c
        else:
            X[:, j] = (
                np.asarray(col, dtype=np.float64)
                if n > _SMALL
                else [np.nan if v is None else v for v in col]
            )
    return X


def model_inputs(columns: Mapping[str, Any], model: PinnedModel) -> Mapping[str, Any]:
    """The columns `model`'s booster reads: the feature vector, and for a value model fitted
    with BTYD forecasts (`features.artefacts.btyd`) those forecasts too."""
    if model.btyd is None:
        return columns
    return dict(columns.items()) | btyd_columns(columns, model.btyd)


def _is_value(v) -> bool:
    return v is not None and v is not pd.NA and not (isinstance(v, float) and v != v)


def score_columns(
    columns: Mapping[str, Any],
    models: Models,
    config: SegmentConfig = SegmentConfig(),
    reasons: bool = True,
    language: str | Sequence[str] = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """The answer columns for validated feature vectors (see the module docstring).

    `reasons=False` leaves `reasons` null: they cost a SHAP pass over every tree, so a batch
    over the whole base may compute them only for its campaign list. `language` (one code,
    or one per row) is the language of the text fields; codes and numbers do not depend on it.
    """
    n = len(columns["subscriber_id"])
    X = encode(columns, models.churn.booster)
    same = _encoder(models.value.booster) == _encoder(models.churn.booster)
    Xv = X if same else encode(model_inputs(columns, models.value), models.value.booster)
    # No per-call LightGBM parameters: a change of parameters rebuilds its predictor.
    raw = models.churn.booster.predict(X) if n else np.empty(0)
    p = models.churn.calibration.apply(raw)
    value = value_prediction(models.value.booster, Xv, columns, models.value.btyd)
    monthly = value * 30.0 / models.value_horizon_days
    band = risk_band(p, config)
    tier = value_tier(monthly, np.asarray(columns["tenure_days"], dtype=float), config)
    state = relationship_state(tier, band, monthly, trailing_revenue_vnd_90d(columns), config)
    curves = survival_curves(columns, models)
    retained, at_risk, life = retention_values(
        value,
        p,
        curves,
        models.value_horizon_days,
        columns["contract_type"],
        config,
        models.churn.margin,  # the cost rates training stored with the survival model
    )
    gains = offer_gains(columns, models, p, retained, tier)
    offers = _offer_ids(models)
    kept = retained if curves is not None else life["lifetime_value_vnd"]  # NaN: no let-go
    gone = let_go(kept, _cheapest(models, offers))
    gains[np.array([g is not None for g in gone], dtype=bool)] = np.nan  # let go: no offer
    best, best_gain = best_of(gains, offers) if offers else ([None] * n, np.full(n, np.nan))
    if reasons:
        why = top_reasons(
            models.churn.booster,
            X,
            list(_encoder(models.churn.booster)[0]),
            columns,
            languages=language,
        )
    else:
        why = [None] * n
    return {
        "subscriber_id": np.asarray(columns["subscriber_id"], dtype=np.int64),
        "as_of": list(columns["as_of"]),
        "churn_probability": p,
        "risk_band": band,
        "predicted_value_vnd": value,
        "value_horizon_days": np.full(n, models.value_horizon_days, dtype=np.int64),
        "value_tier": tier,
        "relationship_state": state,
        "value_if_retained_vnd": retained,
        "value_at_risk_vnd": at_risk,
        **life,
        "let_go_reason": gone,
        "best_offer": best,
        "best_offer_gain_vnd": best_gain,
        "reasons": why,
        **display_names(language, n, band, tier, state, best, models.catalogue),
        "churn_model_version": [models.churn.ref] * n,
        "value_model_version": [models.value.ref] * n,
        OFFER_GAINS: gains,  # outside the answer schema: what campaign planning needs
    }


OFFER_GAINS = "offer_gains"


def survival_curves(columns: Mapping[str, Any], models: Models) -> np.ndarray | None:
    """S(1..24) per row from the churn model's hazard booster, or None without one."""
    booster = models.churn.survival
    if booster is None:
        return None
    n = len(columns["subscriber_id"])
    X = encode(dict(columns.items()) | {MONTHS_AHEAD: np.ones(n)}, booster)
    names = _encoder(booster)[0]
    return survival_from_hazards(hazards(booster, X, names.index(MONTHS_AHEAD)))


def _cheapest(models: Models, offers: list[str]) -> float | None:
    return min(models.catalogue.total_cost(o) for o in offers) if offers else None


def _offer_ids(models: Models) -> list[str]:
    if models.uplift is None or models.catalogue is None:
        return []
    return [o.offer_id for o in models.catalogue.offers]


def offer_gains(
    columns: Mapping[str, Any], models: Models, p: np.ndarray, retained: np.ndarray, tier
) -> np.ndarray:
    """Expected net gain per row and catalogue offer (see `serving.decision`), NaN where
    the offer is not allowed. Uplift is computed only for rows that could pay for an offer:
    an offer saves at most the churn probability, so p x value if retained must exceed the
    cheapest offer's cost; every other row is NaN without running the uplift boosters."""
    offers = _offer_ids(models)
    n = len(p)
    gains = np.full((n, len(offers)), np.nan)
    if not offers or not n:
        return gains
    cat = models.catalogue
    cheapest = min(cat.total_cost(o) for o in offers)
    rows = np.flatnonzero(p * retained > cheapest)
    if not len(rows):
        return gains
    sub = {
        c: np.asarray(columns[c], dtype=object if c in _categorical_names() else None)[rows]
        for c in _uplift_inputs(models)
    }
    model = models.uplift.model
    cache: dict[tuple, np.ndarray] = {}
    encoded: dict[tuple, np.ndarray] = {}

    def run(name: str, offer: str | None) -> np.ndarray:
        """One booster's outputs on the rows (with the offer's one-hot inputs if pooled)."""
        if (name, offer) not in cache:
            booster = model.boosters[name]
            key = (_encoder(booster)[0], offer)
            if key not in encoded:
                hot = {} if offer is None else offer_columns(pooled(booster), offer, len(rows))
                encoded[key] = encode(sub | hot, booster)
            cache[(name, offer)] = booster.predict(encoded[key])
        return cache[(name, offer)]

    uplift = np.column_stack([model.terms_sum(offer, run) for offer in offers])
    contract = np.asarray(columns["contract_type"], dtype=object)[rows]
    tiers = np.asarray(tier, dtype=object)[rows]
    outcome = model.spec.outcome  # a table model of revenue gains VND directly
    gains[rows] = gains_matrix(
        cat, offers, uplift, p[rows], retained[rows], contract, tiers, outcome
    )
    return gains


def _uplift_inputs(models: Models) -> list[str]:
    names: set[str] = {"subscriber_id"}
    for booster in models.uplift.model.boosters.values():
        names.update(n for n in booster.feature_name() if not n.startswith(OFFER_PREFIX))
    return sorted(names)


def score(
    frame: pd.DataFrame,
    models: Models,
    config: SegmentConfig = SegmentConfig(),
    reasons: bool = True,
    language: str = DEFAULT_LANGUAGE,
) -> pd.DataFrame:
    """`score_columns` on a DataFrame of validated vectors, as a DataFrame in answer order."""
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    out = score_columns(cols, models, config, reasons=reasons, language=language)
    return pd.DataFrame(
        {c: pd.Series(out[c], dtype=object if c in _OBJECT else None) for c in ANSWER_COLUMNS}
    )


_OBJECT = frozenset({"as_of", "best_offer", "reasons", "best_offer_description", "let_go_reason"})


_NULL_IF_NAN = frozenset({"best_offer_gain_vnd"})  # no offer: null, not NaN


def to_arrow(answer: Mapping[str, Any]) -> pa.Table:
    """Answer columns as an Arrow table with `ANSWER_SCHEMA`."""
    return pa.table(
        {
            c: pa.array(answer[c], type=ANSWER_SCHEMA.field(c).type, from_pandas=c in _NULL_IF_NAN)
            for c in ANSWER_COLUMNS
        },
        schema=ANSWER_SCHEMA,
    )


def to_records(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Answer columns as one plain dict per subscriber (the HTTP answer)."""
    cols = [
        answer[c].tolist() if isinstance(answer[c], np.ndarray) else answer[c]
        for c in ANSWER_COLUMNS
    ]
    return [dict(zip(ANSWER_COLUMNS, row, strict=True)) for row in zip(*cols, strict=True)]
