"""Reasons in plain words: grouped by measure, phrased from the subscriber's own values."""

import numpy as np

from serving.reasons import measure, phrase, top_reasons


def row(values: dict):
    return lambda c: values[c]


def test_measure_drops_aggregate_and_window():
    assert measure("recharge_vnd_sum_30d") == "recharge_vnd"
    assert measure("recharge_vnd_mean_90d") == "recharge_vnd"
    assert measure("active_days_7d") == "active_days"
    assert measure("care_network_count_90d") == "care_network_count"
    assert measure("tenure_days") == "tenure_days"


def test_trend_phrases():
    r = row({"recharge_vnd_sum_30d": 40_000.0, "recharge_vnd_sum_90d": 300_000.0})
    assert phrase("recharge_vnd", r, []) == "top-up amounts fell by 60% in the last 30 days"
    r = row({"data_mb_sum_30d": 150.0, "data_mb_sum_90d": 300.0})
    assert phrase("data_mb", r, []) == "mobile data use rose by 50% in the last 30 days"
    r = row({"sms_out_sum_30d": 0.0, "sms_out_sum_90d": 0.0})
    assert phrase("sms_out", r, []) == "no SMS sent in the last 90 days"


def test_count_recency_and_attribute_phrases():
    assert phrase("care_network_count", row({"care_network_count_90d": 1.0}), []) == (
        "1 complaint about network quality in the last 90 days"
    )
    assert phrase("days_since_last_recharge", row({"days_since_last_recharge": None}), []) == (
        "no top-up on record"
    )
    assert phrase("days_since_last_billable", row({"days_since_last_billable": 12.0}), []) == (
        "no billable activity for 12 days"
    )
    assert phrase("contract_type", row({"contract_type": "prepaid"}), []) == "prepaid contract"


def test_unknown_feature_falls_back_to_its_description():
    assert phrase("loyalty_points", row({"loyalty_points": 1200.0}), ["loyalty_points"]) == (
        "loyalty_points: 1,200"
    )


class _Contrib:
    """A booster stand-in with fixed contributions: (rows, features + bias)."""

    def __init__(self, contrib):
        self.contrib = np.asarray(contrib, dtype=float)

    def predict(self, X, pred_contrib=False):
        assert pred_contrib
        return self.contrib


def test_top_reasons_sum_windows_and_keep_only_risk_raising_drivers():
    names = ["sms_out_sum_30d", "sms_out_sum_90d", "days_since_last_billable", "contract_type"]
    values = {
        "sms_out_sum_30d": np.array([0.0]),
        "sms_out_sum_90d": np.array([30.0]),
        "days_since_last_billable": np.array([9.0]),
        "contract_type": np.array(["prepaid"], dtype=object),
    }
    # sms: 0.2 + 0.3 = 0.5 beats recency 0.4; the contract lowers risk, so it is no reason.
    booster = _Contrib([[0.2, 0.3, 0.4, -0.6, 0.1]])
    assert top_reasons(booster, np.zeros((1, 4)), names, values) == [
        ["SMS sent fell by 100% in the last 30 days", "No billable activity for 9 days"]
    ]


def test_phrases_for_features_of_a_table_not_provided():
    """Optional tables may be absent: their features arrive null (JSON null or NaN)."""
    r = {"data_mb_sum_30d": None, "data_mb_sum_90d": None, "dropped_calls_sum_30d": np.nan}.get
    assert phrase("data_mb", r, []) == "mobile data use: not recorded"
    assert phrase("dropped_calls", r, []).endswith(": not recorded")


def test_trend_of_a_vanishing_sum_is_not_a_division_by_zero():
    """Fuzzing sent 5e-324: positive, but a third of it is 0.0."""
    r = row({"data_mb_sum_30d": 1.0, "data_mb_sum_90d": 5e-324})
    assert phrase("data_mb", r, []) == "no mobile data use in the last 90 days"
