"""Where Retain's plan loses to the observable oracle: the gap decomposed (`bench.policy`).

Retain's expected gain of offer o for subscriber i is rate(i, o) x p(i) x V(i) - c(o), with
p the churn probability, V the value if retained, rate the share of the risk the offer
removes (uplift / p, read back from Retain's gains) and c the offer's expected cost
(`serving.decision.expected_cost` with the uplift model's acceptance shares).
Each diagnostic plans the same budget with one of these pieces replaced by the truth's:

- `true_churn`: p the truth's untreated 30-day churn probability;
- `true_value`: V the truth's value if retained (`expected_value_vnd_90d_if_retained`);
- `true_rate_per_offer`: rate the truth's save rate of each offer averaged over the base
  (sum of saved probability / sum of risk), `..._and_tier` averaged per offer and value tier
  (what is observable of the response without a model of it);
- `true_cost`: c the truth's expected cost of each subscriber and offer (the offer's cost
  times that subscriber's chance of accepting it; the truth leaves out the contact cost);
- `true_churn_value_rate_per_offer`: the three together (the "ceiling" of `bench.policy`).

Each row: realised net gain, contacts and the offer mix of the plan. The truth is read only
to evaluate and to build these counterfactual planners; nothing here changes Retain's plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.decision import Catalogue, DecisionPolicy, expected_cost, plan_campaign
from serving.policies import realised_gain

__all__ = ["gap_diagnostics"]


def _wide(truth: pd.DataFrame, column: str, ids, offers) -> np.ndarray:
    w = truth.pivot(index="subscriber_id", columns="offer_id", values=column)
    return w.reindex(index=ids, columns=offers).to_numpy(dtype=float)


def _average_rate(truth: pd.DataFrame, by: list[str], ids, offers) -> np.ndarray:
    """The truth's save rate of each offer averaged within `by` groups (see the docstring)."""
    t = truth.assign(saved=truth["churn_probability_30d"] - truth["churn_probability_30d_treated"])
    keys = ["offer_id", *by]
    g = t.groupby(keys)
    rate = (g["saved"].sum() / g["churn_probability_30d"].sum()).rename("rate")
    t = t.join(rate, on=keys)
    return _wide(t, "rate", ids, offers)


def gap_diagnostics(
    answer: dict,
    truth: pd.DataFrame,
    catalogue: Catalogue,
    gains: pd.DataFrame,
    budget: float,
    acceptance: dict[str, float],
) -> dict:
    """The plans of the module docstring, each `{net_gain_vnd, contacted, offers}`."""
    ids = np.asarray(answer["subscriber_id"])
    offers = list(gains.columns)
    G = gains.to_numpy(dtype=float)
    allowed = np.isfinite(G)
    cost = np.array([expected_cost(catalogue, o, acceptance) for o in offers], dtype=float)
    p = np.asarray(answer["churn_probability"], dtype=float)[:, None]
    V = np.asarray(answer["value_if_retained_vnd"], dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        uplift = np.where(V > 0, (G + cost) / V, 0.0)
        rate = np.where(p > 0, uplift / p, 0.0)
    t = truth[truth["subscriber_id"].isin(ids)]
    tier = pd.Series(np.asarray(answer["value_tier"], dtype=object), index=ids, name="tier")
    t = t.join(tier, on="subscriber_id")
    p_true = _wide(t, "churn_probability_30d", ids, offers)
    V_true = _wide(t, "expected_value_vnd_90d_if_retained", ids, offers)
    c_true = _wide(t, "cost_vnd", ids, offers)
    r_offer = _average_rate(t, [], ids, offers)
    r_tier = _average_rate(t, ["tier"], ids, offers)
    variants = {
        "retain": G,
        "true_churn": rate * p_true * V - cost,
        "true_value": rate * p * V_true - cost,
        "true_rate_per_offer": r_offer * p * V - cost,
        "true_rate_per_offer_and_tier": r_tier * p * V - cost,
        "true_cost": G + cost - c_true,
        "true_churn_value_rate_per_offer": r_offer * p_true * V_true - cost,
    }
    policy = DecisionPolicy(budget_vnd=budget, control_share=0.0, campaign_id="eval")
    out = {}
    for name, g in variants.items():
        g = np.where(allowed & np.isfinite(g), g, np.nan)
        plan = plan_campaign(ids, pd.DataFrame(g, columns=offers), catalogue, policy)
        r = realised_gain(plan, t)
        treated = plan[plan["group"] == "treatment"]
        out[name] = {
            "net_gain_vnd": round(r["net_gain_vnd"]),
            "contacted": r["contacted"],
            "offers": {str(k): int(v) for k, v in treated["offer_id"].value_counts().items()},
        }
    return out
