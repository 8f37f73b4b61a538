"""Metrics against oracles and literal values."""

import numpy as np
import pytest

from training.metrics import (
    brier,
    gini,
    lift_at,
    normalized_gini,
    pr_auc,
    rmse,
    roc_auc,
    spearman,
    value_metrics,
)


def test_perfect_ranking_has_normalized_gini_one():
    actual = np.array([0, 0, 5, 10, 100.0])
    assert normalized_gini(actual, actual) == pytest.approx(1.0)
    assert normalized_gini(actual, actual * 3 + 1) == pytest.approx(1.0)


def test_reversed_ranking_has_negative_gini():
    actual = np.array([1.0, 2, 3, 4, 50])
    assert normalized_gini(actual, -actual) < -0.9


def test_gini_literal():
    # Ordered by prediction: actual [4, 3, 2, 1]; cumulative shares .4 .7 .9 1.0.
    assert gini(np.array([1.0, 2, 3, 4]), np.array([1, 2, 3, 4])) == pytest.approx(
        (3.0 / 4 - 5 / 8) * 2
    )


def test_random_score_lift_is_about_one():
    rng = np.random.default_rng(0)
    y = rng.random(200_000) < 0.05
    assert lift_at(y, rng.random(len(y)), 0.1) == pytest.approx(1.0, abs=0.08)


def test_lift_of_perfect_score():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert lift_at(y, y.astype(float), 0.2) == pytest.approx(5.0)


def test_classification_metrics_literals():
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8])
    assert roc_auc(y, s) == pytest.approx(0.75)
    # Ranked: 1, 0, 1, 0 -> precision 1 at recall .5, 2/3 at recall 1.
    assert pr_auc(y, s) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert brier(y, np.array([0, 0, 1, 1.0])) == 0.0
    assert brier(y, np.full(4, 0.5)) == pytest.approx(0.25)


def test_regression_metrics_literals():
    assert rmse(np.array([0, 0, 0, 0.0]), np.array([1, 1, 1, 1.0])) == 1.0
    assert spearman(np.array([1, 2, 3.0]), np.array([10, 20, 30.0])) == pytest.approx(1.0)
    m = value_metrics(np.array([1, 2, 3, 4.0]), np.array([1, 2, 3, 4.0]))
    assert m["rmse"] == 0.0 and m["normalized_gini"] == pytest.approx(1.0)


def test_capture_and_ece_literals():
    from training.metrics import capture_at, expected_calibration_error

    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    s = np.arange(10, 0, -1, dtype=float)  # row 0 ranked first
    assert capture_at(y, s, 0.2) == pytest.approx(2 / 3)
    # Two equal-count bins of five: [.1]*5 vs rate 1/5, [.5]*5 vs rate 2/5.
    p = np.array([0.1] * 5 + [0.5] * 5)
    yy = np.array([1, 0, 0, 0, 0, 1, 1, 0, 0, 0])
    assert expected_calibration_error(yy, p, bins=2) == pytest.approx((0.1 + 0.1) / 2)


def test_ece_of_calibrated_probabilities_is_small():
    from training.metrics import expected_calibration_error

    rng = np.random.default_rng(1)
    p = rng.uniform(0, 0.3, 200_000)
    assert expected_calibration_error(rng.random(len(p)) < p, p) < 0.005
    assert expected_calibration_error(rng.random(len(p)) < p, p * 2) > 0.1


def test_decile_table_and_total_bias():
    from training.metrics import decile_table, mae, total_bias

    actual = np.arange(1, 11, dtype=float)
    t = decile_table(actual, actual, groups=5)
    assert t["mean_actual"].tolist() == [9.5, 7.5, 5.5, 3.5, 1.5]
    assert t["share_of_actual"].iloc[0] == pytest.approx(19 / 55)
    assert total_bias(actual, actual * 1.1) == pytest.approx(0.1)
    assert mae(np.array([0.0, 2]), np.array([1.0, 1])) == 1.0


def test_empc_against_closed_forms():
    from training.profit import EMPCConfig, empc

    y = np.array([1, 0] * 500)
    # Perfect ranking: contact exactly the churners; E[gamma] = 6 / 20.
    value, share = empc(y, y.astype(float))
    assert value == pytest.approx(
        200 * 0.5 * (0.3 * 0.95 - 0.005), abs=5e-3
    )  # 400-point quantile grid
    assert share == pytest.approx(0.5)
    # Constant score: contact everyone or no one; everyone pays at this churn rate.
    value, share = empc(y, np.zeros(len(y)))
    assert value == pytest.approx(
        200 * (0.5 * (0.3 * 0.95 - 0.005) - 0.5 * 0.055), abs=5e-3
    )  # 400-point quantile grid
    assert share == 1.0
    with pytest.raises(ValueError, match="empc.clv: must be positive"):
        EMPCConfig(clv=0)
    with pytest.raises(ValueError, match="both churners and non-churners"):
        empc(np.zeros(4), np.zeros(4))
