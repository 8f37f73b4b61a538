"""Time to churn: the person-month table, literal; survival curves and lifetime value."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.artefacts.survival import MarginConfig, lifetime_value, survival_from_hazards
from training.survival import person_months

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
