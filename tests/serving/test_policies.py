"""Policy comparison on a hand-written truth: literal gains, and the oracle on top."""

import numpy as np
import pandas as pd
import pytest

from serving.decision import Catalogue, Offer
from serving.policies import compare_policies, rank_policy, realised_gain, true_gains

CAT = Catalogue((Offer("A", "", 1_000, "sms"), Offer("B", "", 4_000, "sms")), {"sms": 0}, {})


def truth_frame(n=4):
    rows = []
    for i in range(1, n + 1):
        for o, p1 in (("A", 0.2), ("B", 0.1)):
            rows.append(
                {
                    "subscriber_id": i,
                    "offer_id": o,
                    "churn_probability_30d": 0.3,
                    "churn_probability_30d_treated": p1 if i % 2 else 0.35,
                    "expected_value_vnd_90d_if_retained": 100_000.0,
                    "cost_vnd": 500,
                }
            )
    return pd.DataFrame(rows)


def test_true_and_realised_gain_literals():
    g = true_gains(truth_frame())
    assert g.loc[1, "A"] == pytest.approx(0.1 * 100_000 - 500)  # persuadable
    assert g.loc[2, "A"] == pytest.approx(-0.05 * 100_000 - 500)  # sleeping dog
    plan = pd.DataFrame(
        {
            "subscriber_id": [1, 2, 3],
            "offer_id": ["B", "A", "A"],
            "group": ["treatment", "treatment", "control"],
        }
    )
    r = realised_gain(plan, truth_frame())
    assert r["net_gain_vnd"] == pytest.approx(19_500 - 5_500)
    assert r["contacted"] == 2 and r["retained_subscribers"] == pytest.approx(0.15)


def test_rank_policy_stops_at_budget():
    plan = rank_policy([1, 2, 3, 4], [0.1, 0.9, 0.5, 0.2], "A", CAT, budget_vnd=2_500)
    assert plan.subscriber_id.tolist() == [2, 3] and plan.cost_vnd.sum() <= 2_500


def test_oracle_bounds_retain_and_retain_gets_closer_as_its_estimates_improve():
    """Retain plans on estimated gains (the truth plus noise), the oracle on the truth: the
    oracle is the best plan, Retain with estimates beats random targeting, and less noise
    earns a larger share of the oracle (the same planner on the same gains would give 1.0
    by construction and prove nothing)."""
    rng = np.random.default_rng(0)
    n = 400
    rows = []
    for i in range(n):
        p0 = rng.beta(2, 10)
        for o in ("A", "B"):
            rows.append(
                {
                    "subscriber_id": i,
                    "offer_id": o,
                    "churn_probability_30d": p0,
                    "churn_probability_30d_treated": max(p0 - rng.normal(0.03, 0.05), 0),
                    "expected_value_vnd_90d_if_retained": rng.lognormal(12, 1),
                    "cost_vnd": 1_000 if o == "A" else 4_000,
                }
            )
    truth = pd.DataFrame(rows)
    scored = pd.DataFrame(
        {
            "subscriber_id": np.arange(n),
            "churn_probability": truth.groupby("subscriber_id").churn_probability_30d.first(),
            "value_if_retained_vnd": 200_000.0,
        }
    )
    perfect = true_gains(truth).reindex(np.arange(n)).reset_index(drop=True)
    spread = perfect.to_numpy().std()
    shares = []
    for noise in (2.0, 0.5):
        estimate = perfect + rng.normal(0, noise * spread, perfect.shape)
        table = compare_policies(
            scored, estimate, truth, CAT, budget_vnd=100_000, default_offer="A"
        )
        oracle = table.loc["oracle", "net_gain_vnd"]
        assert oracle > table.drop("oracle")["net_gain_vnd"].max()
        assert table.loc["retain", "net_gain_vnd"] > table.loc["random", "net_gain_vnd"]
        shares.append(table.loc["retain", "share_of_oracle"])
    assert 0 < shares[0] < shares[1] < 1
