"""Time to churn: the person-month table, literal; survival curves and lifetime value."""

from datetime import date

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from features.artefacts.survival import (
    MONTHS_AHEAD,
    MarginConfig,
    hazards,
    lifetime_value,
    survival_from_hazards,
)
from serving.survival_curves import curves
from training.calibrate import fit_hazard_platt
from training.config import ChurnConfig
from training.survival import (
    FIRST_MONTH_SPLIT,
    SurvivalModel,
    outcome_months,
    person_months,
    train_first_month_apart,
    with_platt,
)

C = [date(2025, m, 1) for m in (1, 2, 3, 4)]


def test_person_months_follow_each_subscriber_until_churn_or_the_data_end():
    frame = pd.DataFrame({
        "subscriber_id": [1, 1, 1, 2, 2, 3],
        "as_of": [C[0], C[1], C[2], C[0], C[1], C[3]],
        "churned_30d": [0, 0, 1, 0, 1, 0],
        "x": [10, 11, 12, 20, 21, 30],
    })  # fmt: skip
    rows = person_months(frame, "churned_30d")
    got = sorted(zip(rows["subscriber_id"], rows["as_of"], rows["months_ahead"], rows["event"],
                     rows["x"], strict=True))  # fmt: skip
    assert got == sorted([
        # subscriber 1 from January: survives months 1-2, churns in month 3
        (1, C[0], 1.0, 0.0, 10), (1, C[0], 2.0, 0.0, 10), (1, C[0], 3.0, 1.0, 10),
        (1, C[1], 1.0, 0.0, 11), (1, C[1], 2.0, 1.0, 11),
        (1, C[2], 1.0, 1.0, 12),
        (2, C[0], 1.0, 0.0, 20), (2, C[0], 2.0, 1.0, 20),
        (2, C[1], 1.0, 1.0, 21),
        (3, C[3], 1.0, 0.0, 30),  # censored: the data end after one month
    ])  # fmt: skip


def test_survival_and_lifetime_value_from_hazards():
    h = np.array([[0.5, 0.5, 0.5], [0.0, 0.0, 0.0]])
    s = survival_from_hazards(h)
    assert s.tolist() == [[0.5, 0.25, 0.125], [1.0, 1.0, 1.0]]
    margin = MarginConfig(cost_rates={"prepaid": 0.3}, interconnect_share=0.1,
                          annual_discount_rate=0.0)  # fmt: skip
    share = margin.margin_share(["prepaid", None])
    assert share.tolist() == pytest.approx([0.6, 0.6])  # a null contract type is prepaid
    ltv = lifetime_value(s, [100.0, 100.0], share, 0.0)
    assert ltv.tolist() == pytest.approx([0.875 * 60.0, 3 * 60.0])
    discounted = lifetime_value(s, [100.0, 100.0], share, 0.10)
    assert (discounted < ltv).all()


def test_subscribers_whose_lifetime_margin_cannot_pay_for_an_offer_are_let_go():
    from serving.segments import let_go, lifetime_columns

    s = survival_from_hazards(np.array([[0.9] * 24, [0.01] * 24]))
    life = lifetime_columns(s, np.array([50_000.0, 50_000.0]), np.array(["prepaid", "postpaid"]))
    assert life["survival_3m"][0] < life["survival_3m"][1]
    assert life["expected_lifetime_months"][1] > 12 > life["expected_lifetime_months"][0]
    reasons = let_go(life["lifetime_value_vnd"], cheapest_offer_vnd=20_000.0)
    assert reasons[1] is None
    assert reasons[0].startswith("lifetime margin") and "below the cheapest offer" in reasons[0]
    assert let_go(np.array([-1.0]), None).tolist() == ["negative lifetime margin"]
    assert np.isnan(lifetime_columns(None, np.ones(2), [None, None])["lifetime_value_vnd"]).all()


def test_outcome_months_count_from_the_origin():
    rows = pd.DataFrame({"as_of": [C[0], C[0], C[2], C[1]], "months_ahead": [1.0, 3.0, 2.0, 1.0]})
    assert outcome_months(rows, [C[2], C[0], C[1], C[3]]).tolist() == [0, 2, 3, 1]


def test_a_single_month_of_churn_is_refused_before_fitting():
    frame = pd.DataFrame({"subscriber_id": [1, 2], "as_of": [C[0], C[0]],
                          "churned_30d": [0, 1]})  # fmt: skip
    with pytest.raises(ValueError, match="at least two monthly snapshots"):
        SurvivalModel().fit(frame, "churned_30d")


def test_platt_recovers_a_planted_map_of_the_raw_scores():
    rng = np.random.default_rng(3)
    raw = rng.normal(-3, 1.2, 60_000)
    y = rng.random(len(raw)) < 1 / (1 + np.exp(-(0.8 * raw - 0.5)))
    slope, intercept = fit_hazard_platt(raw, y, np.ones(len(raw)))
    assert slope == pytest.approx(0.8, abs=0.05) and intercept == pytest.approx(-0.5, abs=0.15)
    # a map reversing the booster's ranking is never written into the model
    assert fit_hazard_platt(-raw, y, np.ones(len(raw))) == (1.0, 0.0)


def _planted(n=4000, seed=5):
    rng = np.random.default_rng(seed)
    idle = rng.uniform(0, 30, n)
    month = rng.integers(1, 7, n).astype(float)
    logit = np.where(month == 1, -4 + idle / 6, -3 - idle / 30)  # month 1 apart
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    X = np.column_stack([idle, rng.normal(size=n), month])
    return X, y


def test_every_tree_splits_the_first_month_from_the_later_ones_and_the_bytes_repeat():
    X, y = _planted()
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 1,
              "deterministic": True, "min_data_in_leaf": 20}  # fmt: skip

    def fit():
        return train_first_month_apart(params, 2, lambda p: lgb.train(p, lgb.Dataset(
            X, y, feature_name=["idle_days", "noise", MONTHS_AHEAD]), 30))  # fmt: skip

    booster = fit()
    roots = [t["tree_structure"] for t in booster.dump_model()["tree_info"]]
    assert all(r["split_feature"] == 2 for r in roots)
    assert all(r["threshold"] == pytest.approx(FIRST_MONTH_SPLIT) for r in roots)
    text = booster.model_to_string()
    assert "retain-survival-" not in text and text == fit().model_to_string()


def test_a_platt_map_written_into_the_booster_is_what_every_reader_predicts():
    X, y = _planted()
    data = lgb.Dataset(X, y, feature_name=["idle_days", "noise", MONTHS_AHEAD])
    plain = lgb.train({"objective": "binary", "num_leaves": 7, "verbose": -1}, data, 30)
    calibrated = with_platt(plain, 0.7, -0.4)
    expected = 1 / (1 + np.exp(-(0.7 * plain.predict(X, raw_score=True) - 0.4)))
    np.testing.assert_allclose(calibrated.predict(X), expected, rtol=1e-5)
    reloaded = lgb.Booster(model_str=calibrated.model_to_string())  # the file serving loads
    np.testing.assert_allclose(reloaded.predict(X), calibrated.predict(X), rtol=1e-12)
    # serving's per-interval curves give the same numbers as the plain month-by-month predict
    np.testing.assert_allclose(curves(reloaded, X), survival_from_hazards(hazards(reloaded, X, 2)),
                               rtol=1e-12, atol=1e-15)  # fmt: skip
    with pytest.raises(ValueError, match="binary booster only"):
        with_platt(lgb.train({"objective": "regression", "verbose": -1}, data, 2), 1.0, 0.0)


def _stacked_snapshots(n=1500, seed=11):
    """Monthly snapshots at C: idle days redrawn at each cutoff, and the month after it
    churned with a chance the idle days at that cutoff set: from an origin, month 1 depends on
    its features, the later months (the idle days of later cutoffs) do not."""
    from features.definitions import FEATURE_NAMES

    rng = np.random.default_rng(seed)
    alive = np.ones(n, dtype=bool)
    parts = []
    for cutoff in C:
        ids = np.flatnonzero(alive)
        idle = rng.uniform(0, 30, len(ids))
        churned = rng.random(len(ids)) < 1 / (1 + np.exp(-(-4 + idle / 5)))
        part = pd.DataFrame({c: np.nan for c in FEATURE_NAMES}, index=range(len(ids)))
        part["days_since_last_billable"] = idle
        parts.append(part.assign(subscriber_id=ids, as_of=cutoff, churned_30d=churned.astype(int)))
        alive[ids[churned]] = False
    return pd.concat(parts, ignore_index=True)


def test_month_one_rounds_added_in_stage_two_leave_the_later_months_unchanged():
    frame = _stacked_snapshots()
    config = ChurnConfig(learning_rate=0.2, max_rounds=200, early_stopping_rounds=10)
    model = SurvivalModel(config=config, seed=3).fit(frame, "churned_30d")
    first, second = model.rounds_
    assert second > 0  # month 1 carries signal past the later months' early stop
    assert model.booster_.num_trees() == first + second
    later = model.input_frame(frame.assign(**{MONTHS_AHEAD: 2.0}))
    tail = model.booster_.predict(later, raw_score=True, start_iteration=first)
    assert np.all(tail == 0.0)  # the stage-2 trees output 0 for every later month
    month_one = model.input_frame(frame.assign(**{MONTHS_AHEAD: 1.0}))
    head = model.booster_.predict(month_one, raw_score=True, start_iteration=first)
    assert np.abs(head).max() > 0


def test_a_feature_fraction_below_one_keeps_the_forced_split_possible():
    """Sampled per tree, a tree without `months_ahead` stopped LightGBM
    (`best_split_info.left_count > 0`); sampled per node, every tree has it."""
    config = ChurnConfig(learning_rate=0.2, max_rounds=60, early_stopping_rounds=10,
                         feature_fraction=0.3)  # fmt: skip
    model = SurvivalModel(config=config, seed=3).fit(_stacked_snapshots(), "churned_30d")
    roots = [t["tree_structure"] for t in model.booster_.dump_model()["tree_info"]]
    column = model.booster_.feature_name().index(MONTHS_AHEAD)
    assert roots and all(r["split_feature"] == column for r in roots)
