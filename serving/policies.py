"""Offer policies compared on the same budget, and their realised net gain.

Pure functions over frames. The realised gain of a plan is measured against a truth frame
passed in by evaluation code (the synthetic operator keeps one); serving never reads truth.

A truth frame has one row per (subscriber_id, offer_id) with `churn_probability_30d`,
`churn_probability_30d_treated`, `expected_value_vnd_90d_if_retained` and `cost_vnd` (the
expected cost of sending the offer). The realised net gain of sending offer o to i is
(churn_probability_30d - churn_probability_30d_treated) * value if retained - cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.decision import Catalogue, DecisionPolicy, plan_campaign

TRUTH_COLUMNS = (
    "subscriber_id",
    "offer_id",
    "churn_probability_30d",
    "churn_probability_30d_treated",
    "expected_value_vnd_90d_if_retained",
    "cost_vnd",
)


def true_gains(truth: pd.DataFrame) -> pd.DataFrame:
    """The true net gain per subscriber (rows, indexed by subscriber_id) and offer."""
    missing = [c for c in TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise KeyError(f"truth: missing columns {missing}")
    gain = (truth["churn_probability_30d"] - truth["churn_probability_30d_treated"]) * truth[
        "expected_value_vnd_90d_if_retained"
    ] - truth["cost_vnd"]
    return truth.assign(gain=gain).pivot(index="subscriber_id", columns="offer_id", values="gain")


def realised_gain(plan: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Net gain, incremental retained subscribers and spend of a plan's treatment rows."""
    treated = plan[plan["group"] == "treatment"][["subscriber_id", "offer_id"]]
    t = treated.merge(truth, on=["subscriber_id", "offer_id"], how="left", validate="one_to_one")
    if t["churn_probability_30d"].isna().any():
        raise KeyError("plan: some (subscriber_id, offer_id) pairs have no truth row")
    saved = t["churn_probability_30d"] - t["churn_probability_30d_treated"]
    return {
        "contacted": int(len(t)),
        "net_gain_vnd": float(
            (saved * t["expected_value_vnd_90d_if_retained"] - t["cost_vnd"]).sum()
        ),
        "retained_subscribers": float(saved.sum()),
        "expected_cost_vnd": float(t["cost_vnd"].sum()),
    }


def rank_policy(
    subscriber_id, score, offer_id: str, catalogue: Catalogue, budget_vnd: float
) -> pd.DataFrame:
    """Send one offer to the highest `score` first until the budget is spent."""
    ids = np.asarray(subscriber_id)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    cost = catalogue.total_cost(offer_id)
    n = min(len(ids), int(budget_vnd // cost)) if cost > 0 else len(ids)
    chosen = ids[order[:n]]
    return pd.DataFrame(
        {
            "subscriber_id": chosen,
            "offer_id": offer_id,
            "channel": catalogue.offer(offer_id).channel,
            "cost_vnd": float(cost),
            "group": "treatment",
        }
    )


def compare_policies(
    scored: pd.DataFrame,
    predicted_gains: pd.DataFrame,
    truth: pd.DataFrame,
    catalogue: Catalogue,
    budget_vnd: float,
    default_offer: str,
    seed: int = 0,
) -> pd.DataFrame:
    """Realised net gain of Retain's plan and of the usual alternatives, same budget.

    `scored` has subscriber_id, churn_probability and value_if_retained_vnd (aligned with
    `predicted_gains`); the ranking policies all send `default_offer` (the offer that worked
    best on average in past campaigns); the oracle plans on the true gains.
    """
    ids = scored["subscriber_id"].to_numpy()
    no_control = DecisionPolicy(budget_vnd=budget_vnd, control_share=0.0, campaign_id="eval")
    truth = truth[truth["subscriber_id"].isin(ids)]
    oracle_g = true_gains(truth).reindex(index=ids, columns=predicted_gains.columns)
    at_risk = scored["churn_probability"] * scored["value_if_retained_vnd"]
    rng = np.random.default_rng(seed)
    plans = {
        "retain": plan_campaign(
            ids, predicted_gains.set_axis(range(len(ids))), catalogue, no_control
        ),
        "highest_churn_risk": rank_policy(
            ids, scored["churn_probability"], default_offer, catalogue, budget_vnd
        ),
        "highest_value_at_risk": rank_policy(ids, at_risk, default_offer, catalogue, budget_vnd),
        "random": rank_policy(ids, rng.random(len(ids)), default_offer, catalogue, budget_vnd),
        "oracle": plan_campaign(ids, oracle_g.reset_index(drop=True), catalogue, no_control),
    }
    rows = {name: realised_gain(plan, truth) for name, plan in plans.items()}
    table = pd.DataFrame(rows).T
    oracle = table.loc["oracle", "net_gain_vnd"]
    table["share_of_oracle"] = table["net_gain_vnd"] / oracle if oracle > 0 else np.nan
    table["budget_vnd"] = budget_vnd
    return table
