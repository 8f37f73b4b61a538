"""Reasons in plain words: grouped into drivers an agent can act on, phrased from the
subscriber's own values, in English and Vietnamese, never a raw feature description."""

import re

import numpy as np
import pytest

from features.definitions import FEATURE_NAMES, FEATURES
from serving.language import LANGUAGES, language
from serving.reasons import CONTEXT, DRIVERS, driver_of, measure, phrase, top_reasons

EN, VI = language("en"), language("vi")


def row(values: dict):
    return lambda c: values[c]


def test_measure_drops_aggregate_and_window():
    assert measure("recharge_vnd_sum_30d") == "recharge_vnd"
    assert measure("recharge_vnd_mean_90d") == "recharge_vnd"
    assert measure("revenue_vnd_slope_28d") == "revenue_vnd"
    assert measure("active_days_7d") == "active_days"
    assert measure("care_network_count_90d") == "care_network_count"
    assert measure("tenure_days") == "tenure_days"


def test_every_feature_is_in_one_driver_or_is_context():
    for name in FEATURE_NAMES:
        assert (driver_of(name) is None) == (name in CONTEXT), name
    assert set(CONTEXT) >= {"province", "region", "age_band", "device_type", "acquisition_channel"}
    used = {driver_of(n) for n in FEATURE_NAMES} - {None}
    assert used == set(DRIVERS), "a driver that no feature feeds"


# Representative values: null (a table not provided, or no event ever), zero, ordinary,
# and extremes, for every kind of column a phrase may read.
_NUMERIC = (None, 0.0, 1.0, 12.0, -1.0, 5e-324, 1e12, 1e308, -1e308)  # fuzzing sent 1e308
_CATEGORIES = {
    "contract_type": ("prepaid", "postpaid", None),
    "tariff_plan": ("PRE_BASIC", None),
}
_FORBIDDEN = re.compile(r"null|None|nan|inf|\(null if|\{|\}|_\w+d\b|before as_of", re.I)


def _cases():
    """Per driver, rows built from the representative values (one value for all columns,
    then the 30-day sums low against high 90-day sums and the other way round)."""
    cats = {f.name for f in FEATURES if f.kind == "categorical"}
    for v in _NUMERIC:
        yield {n: (_CATEGORIES.get(n, ("x",))[0] if n in cats else v) for n in FEATURE_NAMES}
    for a, b in ((0.0, 300.0), (300.0, 300.0), (40.0, 300.0), (1e9, 1.0)):
        yield {
            n: (
                _CATEGORIES.get(n, (None,))[-1]
                if n in cats
                else (a if "30d" in n or "7d" in n else b)
            )
            for n in FEATURE_NAMES
        }


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_driver_has_a_sentence_for_representative_values(code):
    """No description, no `null`, no unformatted placeholder, no feature name reaches the
    text, in either language, for null, zero, ordinary and extreme values."""
    lang = language(code)
    descriptions = {f.description for f in FEATURES}
    for values in _cases():
        for key in DRIVERS:
            text = phrase(key, row(values), lang)
            assert text and text not in descriptions, (key, values)
            assert not _FORBIDDEN.search(text), (code, key, text)
            assert not any(n in text for n in FEATURE_NAMES), (code, key, text)


def test_english_phrases_with_units_and_direction():
    r = row({"recharge_vnd_sum_30d": 40_000.0, "recharge_vnd_sum_90d": 240_000.0})
    assert phrase("top-up amounts", r, EN) == "Top-up amounts fell by 60% in the last 30 days"
    r = row({"data_mb_sum_30d": 150.0, "data_mb_sum_90d": 350.0, "days_since_last_data_session": 1})
    assert phrase("data", r, EN) == "Mobile data use rose by 50% in the last 30 days"
    r = row({"data_mb_sum_30d": 0.0, "data_mb_sum_90d": 10.0, "days_since_last_data_session": 12})
    assert phrase("data", r, EN) == "No mobile data use for 12 days"
    r = row({"dropped_calls_sum_7d": 3.0, "dropped_calls_sum_30d": 5.0})
    assert phrase("dropped calls", r, EN) == "3 dropped calls this week"
    r = row({"care_port_out_inquiry_count_90d": 1.0})
    assert phrase("port-out inquiries", r, EN) == "Asked how to port out 1 time in the last 90 days"
    r = row({"days_since_last_recharge": 40.0, "recharge_count_30d": 0.0})
    assert phrase("top-ups", r, EN) == "No top-up for 40 days"
    r = row({"invoice_count_90d": 3.0, "invoice_vnd_change_90d": 1_234_567.4})
    assert phrase("bills", r, EN) == "Latest bill ₫1,234,567 above the 90-day average"
    assert phrase("contract", row({"contract_type": "prepaid"}), EN) == "Prepaid subscriber"
    r = {"revenue_vnd_sum_30d": 30_000.0, "revenue_vnd_sum_90d": 90_000.0}
    steady = row(r | {"revenue_vnd_slope_28d": -200.0})
    assert phrase("spending", steady, EN) == "Spending steady over the last 90 days"
    sliding = row(r | {"revenue_vnd_slope_28d": -2_000.0})
    assert phrase("spending", sliding, EN) == (
        "Spending sliding week after week over the last 4 weeks"
    )


def test_vietnamese_phrases_use_the_locale_formats():
    r = row({"recharge_count_30d": 2.0, "recharge_count_90d": 12.0, "days_since_last_recharge": 3})
    assert phrase("top-ups", r, VI) == "Số lần nạp tiền giảm 60% trong 30 ngày qua"
    r = row({"invoice_count_90d": 3.0, "invoice_vnd_change_90d": -1_234_567.0})
    assert phrase("bills", r, VI) == (
        "Hóa đơn gần nhất thấp hơn mức trung bình 90 ngày 1.234.567\xa0₫"
    )
    r = row({"care_port_out_inquiry_count_90d": 2.0})
    assert phrase("port-out inquiries", r, VI) == (
        "Hỏi cách chuyển mạng giữ số 2 lần trong 90 ngày qua"
    )


def test_phrases_for_features_of_a_table_not_provided():
    """Optional tables may be absent: their features arrive null (JSON null or NaN)."""
    r = {
        "data_mb_sum_30d": None,
        "data_mb_sum_90d": None,
        "days_since_last_data_session": None,
        "dropped_calls_sum_7d": np.nan,
        "dropped_calls_sum_30d": np.nan,
    }.get
    assert phrase("data", r, EN) == "Mobile data use not recorded"
    assert phrase("dropped calls", r, VI) == "Chưa có dữ liệu về cuộc gọi bị rớt"


def test_trend_of_a_vanishing_sum_is_not_a_division_by_zero():
    """Fuzzing sent 5e-324: positive, but a third of it is 0.0."""
    r = row({"sms_out_sum_30d": 0.0, "sms_out_sum_90d": 5e-324})
    assert phrase("sms", r, EN) == "No SMS sent in the last 90 days"


class _Contrib:
    """A booster stand-in with fixed contributions: (rows, features + bias)."""

    def __init__(self, contrib):
        self.contrib = np.asarray(contrib, dtype=float)

    def predict(self, X, pred_contrib=False):
        assert pred_contrib
        return self.contrib


def test_top_reasons_group_drivers_skip_context_and_follow_each_rows_language():
    names = ["sms_out_sum_30d", "sms_out_sum_90d", "province", "days_since_last_billable"]
    values = {
        "sms_out_sum_30d": np.array([0.0, 0.0]),
        "sms_out_sum_90d": np.array([30.0, 30.0]),
        "province": np.array(["An Giang", "An Giang"], dtype=object),
        "days_since_last_billable": np.array([9.0, 9.0]),
    }
    # sms: 0.2 + 0.3 = 0.5 beats recency 0.4; the province raises risk most but is context.
    booster = _Contrib([[0.2, 0.3, 0.9, 0.4, 0.1]] * 2)
    assert top_reasons(booster, np.zeros((2, 4)), names, values, languages=["en", "vi"]) == [
        ["SMS sent fell by 100% in the last 30 days", "No charged usage or top-up for 9 days"],
        [
            "Tin nhắn SMS gửi đi giảm 100% trong 30 ngày qua",
            "Không phát sinh cước hay nạp tiền trong 9 ngày",
        ],
    ]
