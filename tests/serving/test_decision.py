"""Decisions: gains, best offers, budgeted campaigns with capacities and a control group."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from serving.decision import (
    Catalogue,
    DecisionPolicy,
    Offer,
    best_offers,
    expected_gains,
    in_control,
    plan_campaign,
)

CAT = Catalogue(
    offers=(
        Offer("CHEAP", "", 1_000, "sms"),
        Offer("RICH", "", 9_000, "call", tiers=("super",)),
        Offer("PRE", "", 2_000, "sms", contract_types=("prepaid",)),
    ),
    contact_cost_vnd={"sms": 0, "call": 1_000},
    channel_capacity={},
)


def scored(n=3):
    return pd.DataFrame(
        {
            "subscriber_id": np.arange(1, n + 1),
            "churn_probability": [0.5, 0.5, 0.05][:n],
            "value_if_retained_vnd": [100_000.0, 200_000.0, 50_000.0][:n],
            "contract_type": ["prepaid", "postpaid", "prepaid"][:n],
            "value_tier": ["super", "large", "small"][:n],
        }
    )


def test_expected_gain_literals_and_eligibility():
    uplift = pd.DataFrame(
        {"CHEAP": [0.1, 0.0, 0.03], "RICH": [0.2, 0.5, 0.5], "PRE": [0.05, 0.3, 0.0]}
    )
    g = expected_gains(scored(), uplift, CAT)
    assert g.loc[0].tolist() == [9_000.0, 10_000.0, 3_000.0]  # 0.2 x 100k - (9k + 1k contact)
    assert np.isnan(g.loc[1, "RICH"]) and np.isnan(g.loc[1, "PRE"])  # large tier, postpaid
    best = best_offers(g)
    assert best.best_offer.tolist() == ["RICH", None, "CHEAP"]
    assert best.best_offer_gain_vnd.tolist()[0::2] == [10_000.0, 500.0]  # 0.03 x 50k - 1k


def test_expected_cost_pays_the_offer_only_on_acceptance():
    from serving.decision import expected_cost, gains_matrix

    assert expected_cost(CAT, "RICH") == 10_000.0  # no acceptance known: the full cost
    assert expected_cost(CAT, "RICH", {"RICH": 0.25}) == 1_000 + 0.25 * 9_000
    offers = ["CHEAP", "RICH"]
    s = scored()
    g = gains_matrix(
        CAT, offers, np.full((3, 2), 0.2), s.churn_probability.to_numpy(),
        s.value_if_retained_vnd.to_numpy(), s.contract_type.to_numpy(),
        s.value_tier.to_numpy(), acceptance={"RICH": 0.5},
    )  # fmt: skip
    assert g[0].tolist() == [0.2 * 100_000 - 1_000, 0.2 * 100_000 - (1_000 + 4_500)]


def test_uplift_is_capped_at_the_churn_probability():
    uplift = pd.DataFrame(
        {"CHEAP": [0.1, 0.0, 0.5], "RICH": [0.0, 0.0, 0.0], "PRE": [0.0, 0.0, 0.0]}
    )
    g = expected_gains(scored(), uplift, CAT)
    assert g.loc[2, "CHEAP"] == 0.05 * 50_000 - 1_000  # not 0.5 x 50k: at most the whole risk


def test_default_catalogue_loads_and_bad_catalogue_is_named(tmp_path):
    cat = Catalogue.from_toml()
    assert {o.offer_id for o in cat.offers} >= {"DATA_BONUS", "LOYALTY_GIFT"}
    bad = tmp_path / "offers.toml"
    bad.write_text('[[offer]]\noffer_id = "X"\nchannel = "sms"\n')
    with pytest.raises(ValueError, match=r"offer\[0\]\.cost_vnd is missing"):
        Catalogue.from_toml(bad)


def random_gains(n, rng):
    return pd.DataFrame(
        {
            "CHEAP": rng.normal(500, 2_000, n),
            "RICH": rng.normal(2_000, 8_000, n),
            "PRE": rng.normal(800, 3_000, n),
        }
    )


@pytest.mark.parametrize("budget", [0, 5_000, 2_000_000, 1e12])
def test_budget_and_capacity_never_exceeded(budget):
    rng = np.random.default_rng(1)
    cat = replace(CAT, channel_capacity={"call": 300})
    cat = replace(cat, offers=cat.offers[:2] + (replace(cat.offers[2], capacity=200),))
    plan = plan_campaign(
        np.arange(5_000),
        random_gains(5_000, rng),
        cat,
        DecisionPolicy(budget_vnd=budget, control_share=0.1, campaign_id="c1"),
    )
    t = plan[plan.group == "treatment"]
    assert t.cost_vnd.sum() <= budget
    assert (t.channel == "call").sum() <= 300 and (t.offer_id == "PRE").sum() <= 200
    assert plan.subscriber_id.is_unique and (plan.expected_gain_vnd > 0).all()


def test_plan_is_within_one_percent_of_the_lp_bound():
    from scipy.optimize import linprog

    rng = np.random.default_rng(2)
    n = 400
    gains = random_gains(n, rng)
    budget = 150_000
    plan = plan_campaign(
        np.arange(n),
        gains,
        CAT,
        DecisionPolicy(budget_vnd=budget, control_share=0.0, campaign_id="c"),
    )
    # LP relaxation: max sum g x, sum c x <= B, each subscriber at most one offer, 0 <= x <= 1.
    g = gains.to_numpy().clip(0).ravel()
    cost = np.tile([CAT.total_cost(o) for o in gains.columns], n).astype(float)
    one_each = np.kron(np.eye(n), np.ones(3))
    lp = linprog(
        -g,
        A_ub=np.vstack([cost, one_each]),
        b_ub=np.concatenate([[budget], np.ones(n)]),
        bounds=(0, 1),
        method="highs",
    )
    assert plan.cost_vnd.sum() <= budget
    assert plan.expected_gain_vnd.sum() >= 0.99 * -lp.fun


def test_control_share_holds_within_sampling_error():
    rng = np.random.default_rng(3)
    n, share = 20_000, 0.15
    plan = plan_campaign(
        np.arange(n),
        random_gains(n, rng),
        CAT,
        DecisionPolicy(budget_vnd=1e12, control_share=share, campaign_id="c2"),
    )
    observed = (plan.group == "control").mean()
    se = np.sqrt(share * (1 - share) / len(plan))
    assert abs(observed - share) < 4 * se
    assert (plan[plan.group == "control"].cost_vnd == 0).all()


def test_control_membership_is_deterministic_and_campaign_specific():
    ids = np.arange(100_000)
    a, b = in_control(ids, "2026-01", 0.1), in_control(ids, "2026-01", 0.1)
    c = in_control(ids, "2026-02", 0.1)
    assert (a == b).all() and (a != c).any()
    assert abs(a.mean() - 0.1) < 0.005


@pytest.mark.parametrize("n, min_control", [(18, 1), (18, 5), (3, 1), (40, 30)])
def test_a_small_campaign_keeps_a_control_group(n, min_control):
    rng = np.random.default_rng(4)
    policy = DecisionPolicy(budget_vnd=1e12, control_share=0.1, campaign_id="c3")
    plan = plan_campaign(
        np.arange(n),
        random_gains(n, rng).abs() + 1_000_000,
        CAT,
        replace(policy, min_control=min_control),
    )
    control = int((plan.group == "control").sum())
    need = min(n // 2, max(int(np.ceil(0.1 * n)), min_control))
    hashed = int(in_control(np.arange(n), "c3", 0.1).sum())  # the hash's own draw
    assert len(plan) == n and control == max(need, hashed) and control > 0
    again = plan_campaign(
        np.arange(n),
        random_gains(n, np.random.default_rng(4)).abs() + 1_000_000,
        CAT,
        replace(policy, min_control=min_control),
    )
    assert again.equals(plan)


def test_gains_of_a_revenue_model_are_uplift_minus_cost_and_other_outcomes_have_none():
    from serving.decision import gains_matrix

    offers = ["CHEAP", "RICH", "PRE"]
    args = (np.array([[5_000.0, 20_000.0, 500.0]]), np.array([0.01]), np.array([1e6]))
    rest = (np.array(["postpaid"]), np.array(["super"]))
    g = gains_matrix(CAT, offers, *args, *rest, outcome="revenue")
    assert g[0, 0] == 4_000 and g[0, 1] == 10_000 and np.isnan(g[0, 2])  # PRE: prepaid only
    churn = gains_matrix(CAT, offers, *args, *rest)  # uplift capped at the churn probability
    assert churn[0, 0] == pytest.approx(0.01 * 1e6 - 1_000)
    assert np.isnan(gains_matrix(CAT, offers, *args, *rest, outcome="visit_probability")).all()
