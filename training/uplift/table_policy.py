"""Plans from a table uplift model's estimates, and their value on the randomised rows of a
campaign table (inverse propensity: each arm's share of the rows is its propensity)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.artefacts.uplift import NO_OFFER

if TYPE_CHECKING:
    from training.uplift.table import CampaignTable


def best_arm(uplift: pd.DataFrame, cost: dict[str, float]) -> np.ndarray:
    """Per row, the arm with the largest uplift net of its cost, or NO_OFFER when none pays."""
    net = uplift.to_numpy(dtype=float) - np.array([cost.get(a, 0.0) for a in uplift.columns])
    k = net.argmax(axis=1)
    pays = net[np.arange(len(net)), k] > 0
    return np.where(pays, np.asarray(uplift.columns, dtype=object)[k], NO_OFFER)


def _ips_terms(table: CampaignTable, chosen: np.ndarray) -> np.ndarray:
    """Each row's inverse-propensity term (arm shares as propensities: randomised) of the
    outcome, net of cost, under the plan `chosen`; their mean is the plan's value."""
    sign = -1.0 if table.spec.churn_outcome else 1.0
    gain = sign * table.y - np.array([table.cost.get(a, 0.0) for a in table.arm])
    share = {a: float((table.arm == a).mean()) for a in set(table.arm)}
    prop = np.array([share[a] for a in table.arm])
    return np.where(chosen == table.arm, gain / prop, 0.0)


def policy_values(table: CampaignTable, uplift: pd.DataFrame) -> dict[str, float]:
    """Inverse-propensity estimates of the outcome per customer, net of cost, of sending
    everyone one arm, nothing ("no_offer"), or `best_arm` ("personalised")."""
    n = len(table.y)
    out = {
        a or "no_offer": float(_ips_terms(table, np.full(n, a, dtype=object)).mean())
        for a in sorted(set(table.arm))
    }
    return out | {"personalised": float(_ips_terms(table, best_arm(uplift, table.cost)).mean())}


def policy_gain(table: CampaignTable, uplift: pd.DataFrame, blanket: str) -> tuple[float, float]:
    """The personalised plan's value minus the blanket arm's (inverse propensity, per
    customer) and its standard error (paired over rows)."""
    arm = NO_OFFER if blanket == "no_offer" else blanket
    d = _ips_terms(table, best_arm(uplift, table.cost)) - _ips_terms(
        table, np.full(len(table.y), arm, dtype=object)
    )
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
