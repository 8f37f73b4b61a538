"""bench.policy_gap: Retain's plan with one piece replaced by the truth's, on literals."""

import numpy as np
import pandas as pd

from bench.policy_gap import gap_diagnostics
from serving.decision import Catalogue, Offer

CAT = Catalogue(
    offers=(Offer("A", "", 1_000, "sms"),), contact_cost_vnd={"sms": 0}, channel_capacity={}
)


def test_true_churn_moves_the_one_contact_to_the_subscriber_the_offer_saves():
    truth = pd.DataFrame(
        {
            "subscriber_id": [1, 2, 3],
            "offer_id": "A",
            "churn_probability_30d": [0.5, 0.1, 0.2],
            "churn_probability_30d_treated": [0.3, 0.1, 0.1],
            "expected_value_vnd_90d_if_retained": [100_000.0, 100_000.0, 10_000.0],
            "cost_vnd": [500, 500, 500],
        }
    )
    answer = {
        "subscriber_id": np.array([1, 2, 3]),
        "churn_probability": np.array([0.1, 0.5, 0.2]),  # Retain gets 1 and 2 the wrong way
        "value_if_retained_vnd": np.array([100_000.0, 100_000.0, 10_000.0]),
        "value_tier": np.array(["small"] * 3, dtype=object),
    }
    # Retain's save rate 0.4 of the risk: gains 3,000, 19,000 and -200 VND.
    gains = pd.DataFrame({"A": [3_000.0, 19_000.0, -200.0]})
    d = gap_diagnostics(answer, truth, CAT, gains, budget=1_000.0, acceptance={})
    assert d["retain"] == {"net_gain_vnd": -500, "contacted": 1, "offers": {"A": 1}}
    assert d["true_churn"]["net_gain_vnd"] == 19_500  # 0.2 x 100k - 500: subscriber 1
    assert d["true_value"]["net_gain_vnd"] == -500  # the values were right already
    # The truth's average save rate is 0.3 / 0.8; with Retain's churn it still picks 2.
    assert d["true_rate_per_offer"]["net_gain_vnd"] == -500
    assert d["true_churn_value_rate_per_offer"]["net_gain_vnd"] == 19_500
    # Half the offer's cost paid on average: the cost read back is 500, not 1,000.
    half = gap_diagnostics(answer, truth, CAT, gains + 500.0, 1_000.0, {"A": 0.5})
    assert half["true_churn"] == d["true_churn"]
