"""Survival curves predicted per month interval of each tree group equal the booster's own
month-by-month predictions."""

import lightgbm as lgb
import numpy as np
import pytest

from features.artefacts.survival import MONTHS_AHEAD, hazards
from serving.survival_curves import _groups, curves, month_hazards


@pytest.fixture(scope="module")
def hazard_booster():
    """A small hazard booster on planted data: churn falls with tenure, rises after month 3."""
    rng = np.random.default_rng(5)
    n = 4000
    tenure = rng.uniform(0, 2000, n)
    month = rng.integers(1, 13, n).astype(float)
    p = 1 / (1 + np.exp(-(-2 - tenure / 800 + (month > 3) * 0.8 + (month > 9) * 0.5)))
    y = rng.random(n) < p
    X = np.column_stack([tenure, rng.normal(size=n), month])
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 1,
              "deterministic": True, "min_data_in_leaf": 20}  # fmt: skip
    data = lgb.Dataset(X, y, feature_name=["tenure_days", "noise", MONTHS_AHEAD])
    return lgb.train(params, data, num_boost_round=40), X


def test_month_intervals_give_the_boosters_own_hazards(hazard_booster):
    booster, X = hazard_booster
    sigmoid, groups = _groups(booster)
    assert sigmoid == 1.0 and sum(g.num_trees() for g, _, _ in groups) == booster.num_trees()
    # fewer tree walks than 24 per tree: that is the point
    assert sum(g.num_trees() * len(reps) for g, reps, _ in groups) < 24 * booster.num_trees()
    expected = hazards(booster, X, 2)
    np.testing.assert_allclose(month_hazards(booster, X), expected, rtol=1e-12, atol=1e-15)
    S = curves(booster, X)
    assert S.shape == (len(X), 24) and (np.diff(S, axis=1) <= 0).all()


def test_a_booster_it_cannot_split_is_predicted_month_by_month(hazard_booster):
    _, X = hazard_booster
    y = X[:, 0] / 1000
    data = lgb.Dataset(X, y, feature_name=["tenure_days", "noise", MONTHS_AHEAD])
    regression = lgb.train({"objective": "regression", "verbose": -1}, data, 5)
    assert _groups(regression) is None
    np.testing.assert_array_equal(month_hazards(regression, X), hazards(regression, X, 2))


def test_binary_sigmoid_reads_the_objective_line_and_none_for_other_objectives():
    from features.artefacts.survival import binary_sigmoid

    assert binary_sigmoid("version=v4\nobjective=binary sigmoid:0.75\nfeature_names=a\n") == 0.75
    assert binary_sigmoid("version=v4\nobjective=regression\nfeature_names=a\n") is None
