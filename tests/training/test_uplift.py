"""Uplift: metrics against oracles, and learners that recover a planted effect."""

import numpy as np
import pandas as pd
import pytest

from features.snapshot import build_snapshot
from features.uplift_spec import UpliftModel
from training.uplift import OfferUplift, UpliftConfig
from training.uplift_metrics import auuc, qini_coefficient, qini_curve


def planted(n, rng, true_uplift):
    treated = rng.random(n) < 0.7
    p_churn = np.clip(0.3 - treated * true_uplift, 0, 1)
    return treated, (rng.random(n) > p_churn).astype(float)  # retained


def test_qini_of_perfect_and_random_rankings():
    rng = np.random.default_rng(0)
    n = 40_000
    true = np.where(rng.random(n) < 0.3, 0.25, -0.05)
    treated, retained = planted(n, rng, true)
    assert qini_coefficient(retained, treated, true) > 0.01
    assert abs(qini_coefficient(retained, treated, rng.random(n))) < 0.004
    assert auuc(retained, treated, true) > auuc(retained, treated, -true)


def test_qini_curve_literal():
    # Two treated retained, one control churned: targeting both treated first.
    x, q = qini_curve([1, 1, 0], [True, True, False], [0.9, 0.8, 0.1])
    assert x.tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert q.tolist() == pytest.approx([0, 0, 0, 2 / 3])  # R_t - R_c * N_t / N_c, over n


@pytest.fixture(scope="module")
def vectors(tiny_raw):
    from datetime import date

    return pd.concat(
        [build_snapshot(tiny_raw, date(2025, m, 1)) for m in (5, 6, 7)], ignore_index=True
    )


@pytest.mark.parametrize("learner", ["t", "x"])
def test_learners_recover_a_planted_effect(vectors, learner, tmp_path):
    rng = np.random.default_rng(5)
    n = len(vectors)
    persuadable = (vectors.revenue_vnd_sum_90d > vectors.revenue_vnd_sum_90d.median()).to_numpy()
    offer = rng.choice(["A", "B"], n)
    true = np.where(persuadable, np.where(offer == "A", 0.3, 0.15), -0.05)
    treated = rng.random(n) < 0.7
    churned = (rng.random(n) < np.clip(0.35 - treated * true, 0, 1)).astype(float)
    train = rng.random(n) < 0.6
    model = OfferUplift(config=UpliftConfig(learner=learner, rounds=80), threads=1).fit(
        vectors[train], offer[train], treated[train], churned[train]
    )
    pred = model.predict(vectors[~train])
    assert list(pred.columns) == ["A", "B"]
    test_true = np.where(persuadable[~train], 0.3, -0.05)
    assert np.corrcoef(pred["A"], test_true)[0, 1] > 0.5
    assert pred["A"][persuadable[~train]].mean() > pred["B"][persuadable[~train]].mean()
    m = ~train & (offer == "A")
    assert qini_coefficient(1 - churned[m], treated[m], model.predict(vectors[m])["A"]) > 0
    # The saved form (native boosters + spec) predicts the same numbers.
    loaded = UpliftModel.load(model.model_.save(tmp_path / "uplift"))
    pd.testing.assert_frame_equal(loaded.predict(vectors[~train]), pred)


def test_needs_both_arms(vectors):
    with pytest.raises(ValueError, match="treated: need both treated and control rows"):
        OfferUplift().fit(vectors.head(50), ["A"] * 50, [True] * 50, [0.0] * 50)
