"""The one scoring path: feature vectors in, the answer per subscriber out.

`score_columns` is what the HTTP service, the local batch job and the Spark batch job all
call; handlers only translate. It takes columns (a DataFrame, or a dict of equal-length
sequences) that passed the boundary check (`features.vector.split_valid` or the request
schema), and returns the columns of `ANSWER_SCHEMA`.

Features are encoded once per call (`serving.encoding`) for the churn, value and hazard
boosters; survival curves are evaluated per month interval (`serving.survival_curves`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from features.artefacts.btyd import value_prediction
from features.artefacts.survival import MONTHS_AHEAD
from features.artefacts.uplift import OFFER_PREFIX, offer_columns, pooled
from features.labels import trailing_revenue_vnd_90d
from serving.answer import ANSWER_COLUMNS, ANSWER_SCHEMA
from serving.decision import best_of, expected_cost, gains_matrix
from serving.encoding import categorical_names, encode, encoder, model_inputs
from serving.language import DEFAULT_LANGUAGE
from serving.names import display_names
from serving.reasons import top_reasons
from serving.registry import Models
from serving.segments import (
    SegmentConfig,
    let_go,
    relationship_state,
    retention_values,
    risk_band,
    value_tier,
)
from serving.survival_curves import curves


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
    churn = models.churn.booster
    X, Xv = _matrices(columns, models)
    # No per-call LightGBM parameters: a change of parameters rebuilds its predictor.
    raw = models.churn.booster.predict(X) if n else np.empty(0)
    p = models.churn.calibration.apply(raw)
    value = value_prediction(models.value.booster, Xv, columns, models.value.btyd)
    monthly = value * 30.0 / models.value_horizon_days
    band = risk_band(p, config)
    tier = value_tier(monthly, np.asarray(columns["tenure_days"], dtype=float), config)
    state = relationship_state(tier, band, monthly, trailing_revenue_vnd_90d(columns), config)
    survival = survival_curves(columns, models, X, spare=Xv)  # Xv is not read after this
    retained, at_risk, life = retention_values(
        value,
        p,
        survival,
        models.value_horizon_days,
        columns["contract_type"],
        config,
        models.churn.margin,  # the cost rates training stored with the survival model
    )
    gains = offer_gains(columns, models, p, retained, tier)
    offers = _offer_ids(models)
    kept = retained if survival is not None else life["lifetime_value_vnd"]  # NaN: no let-go
    gone = let_go(kept, _cheapest(models, offers))
    gains[np.array([g is not None for g in gone], dtype=bool)] = np.nan  # let go: no offer
    best, best_gain = best_of(gains, offers) if offers else ([None] * n, np.full(n, np.nan))
    if reasons:
        why = top_reasons(
            models.churn.booster,
            X,
            list(encoder(churn)[0]),
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


def _matrices(columns: Mapping[str, Any], models: Models) -> tuple[np.ndarray, np.ndarray]:
    """The churn and value boosters' matrices of the same rows. When the value booster reads
    the churn booster's features and then its own (its BTYD forecasts), both are one
    column-major allocation: the churn matrix is the value matrix's leading columns, which
    LightGBM reads without a copy. Otherwise the value matrix borrows the churn's columns."""
    churn, value = models.churn.booster, models.value.booster
    if encoder(value) == encoder(churn):
        X = encode(columns, churn)
        return X, X
    inputs = model_inputs(columns, models.value)
    k = _leading(churn, value)
    if k is None:
        X = encode(columns, churn)
        return X, encode(inputs, value, (X, churn))
    Xv = encode(inputs, value)
    return Xv[:, :k], Xv


def _leading(first, then) -> int | None:
    """len(first's features) when `then` reads them first, in order and with the same
    categories, and more after them; else None."""
    names, maps = encoder(first)
    more, more_maps = encoder(then)
    shared = more[: len(names)] == names and all(more_maps.get(c) == maps.get(c) for c in names)
    return len(names) if shared and len(more) > len(names) else None


def survival_curves(
    columns: Mapping[str, Any],
    models: Models,
    X: np.ndarray | None = None,
    spare: np.ndarray | None = None,
) -> np.ndarray | None:
    """S(1..24) per row from the churn model's hazard booster, or None without one; `X`,
    the churn booster's matrix of the same rows, lends its columns. `spare`, a column-major
    matrix whose leading columns are `X` and that the caller no longer needs, is written
    over when the hazard booster reads the churn features then `months_ahead`: its next
    column becomes `months_ahead`, and no matrix is allocated for the hazard booster."""
    booster = models.churn.survival
    if booster is None:
        return None
    n = len(columns["subscriber_id"])
    k = _leading(models.churn.booster, booster)
    if (
        X is not None
        and spare is not None
        and k == X.shape[1] < spare.shape[1]
        and encoder(booster)[0][k:] == (MONTHS_AHEAD,)
        and spare.flags.f_contiguous
        and X.ctypes.data == spare.ctypes.data  # X is spare's leading columns
    ):
        H = spare[:, : k + 1]
        H[:, k] = 1.0
        return curves(booster, H, overwrite=True)
    known = None if X is None else (X, models.churn.booster)
    inputs = dict(columns.items()) | {MONTHS_AHEAD: np.ones(n)}
    return curves(booster, encode(inputs, booster, known), overwrite=True)  # a fresh matrix


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
    acceptance = models.uplift.model.spec.acceptance
    cheapest = min(expected_cost(cat, o, acceptance) for o in offers)
    rows = np.flatnonzero(p * retained > cheapest)
    if not len(rows):
        return gains
    sub = {
        c: np.asarray(columns[c], dtype=object if c in categorical_names() else None)[rows]
        for c in _uplift_inputs(models)
    }
    model = models.uplift.model
    cache: dict[tuple, np.ndarray] = {}
    encoded: dict[tuple, np.ndarray] = {}

    def run(name: str, offer: str | None) -> np.ndarray:
        """One booster's outputs on the rows (with the offer's one-hot inputs if pooled)."""
        if (name, offer) not in cache:
            booster = model.boosters[name]
            key = (encoder(booster)[0], offer)
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
        cat, offers, uplift, p[rows], retained[rows], contract, tiers, outcome, acceptance
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
