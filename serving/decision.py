"""Retention decisions: which offer, for whom, at what expected gain, under a budget.

expected gain(i, o) = uplift(i, o) x value if retained(i) - expected cost(o)
where uplift is the predicted reduction of i's 30-day churn probability if offer o is sent,
and the expected cost is the channel's contact cost plus the offer's cost times the share of
past recipients who accepted it (`expected_cost`: a bonus nobody takes costs nothing; the
campaigns table records the cost only on acceptance). Budgets and capacities count the full
cost (every offer accepted): a plan never overspends whoever accepts.

- `best_offers`: each subscriber's best eligible offer on its own (no budget), the same in
  the batch scores and in an HTTP answer;
- `plan_campaign`: at most one offer per subscriber, maximising the total expected gain
  under a budget and per-channel and per-offer capacities (a Lagrangian price on the budget
  found by bisection, then capacity trimming and a greedy refill), with a random control
  group held out and flagged so the next cycle can learn uplift from it and measure what
  the campaign earned.

Control membership is a hash of (subscriber, campaign): the same in batch and online,
and the same on every re-run. A campaign never goes out without a control group: when the
hash leaves fewer selected rows in control than `control_share` of the campaign (or than
`min_control`, the size a power calculation asks for; at most half the campaign), the
selected rows with the smallest hashes join it, and the budget they free is refilled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.artefacts.uplift import CHURN_REDUCTION, REVENUE
from serving.catalogue import Catalogue, Offer  # noqa: F401  (Offer: callers import it here)


@dataclass(frozen=True)
class DecisionPolicy:
    budget_vnd: float = 50_000_000.0
    control_share: float = 0.1
    campaign_id: str = "campaign"
    min_gain_vnd: float = 0.0
    min_control: int = 1  # at least this many selected rows held out (when control_share > 0)
    exploration: object | None = None  # serving.exploration.Exploration: used without uplift


def expected_cost(
    catalogue: Catalogue, offer_id: str, acceptance: Mapping[str, float] | None = None
) -> float:
    """Contact cost + offer cost x the offer's acceptance share (`UpliftSpec.acceptance`;
    an offer without one costs in full)."""
    o = catalogue.offer(offer_id)
    share = (acceptance or {}).get(offer_id, 1.0)
    return float(catalogue.contact_cost_vnd.get(o.channel, 0) + o.cost_vnd * share)


def gains_matrix(
    catalogue: Catalogue,
    offers: list[str],
    uplift: np.ndarray,
    churn_probability: np.ndarray,
    value_if_retained: np.ndarray,
    contract_type,
    value_tier,
    outcome: str = CHURN_REDUCTION,
    acceptance: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Expected net gain per row and offer (columns in `offers` order); NaN where the offer
    is not allowed for the row's contract type or value tier; the cost is `expected_cost`
    with `acceptance` (the uplift model's). Uplift is capped at the churn
    probability: an offer cannot save more than the whole risk. An uplift model of revenue
    (`retain train-uplift --table` on an amount) gives its gain in VND directly: uplift -
    cost; one of any other outcome (a visit, a conversion) has no value in VND: NaN."""
    if outcome == REVENUE:
        g = np.array(uplift, dtype=float)
    elif outcome == CHURN_REDUCTION:
        u = np.minimum(np.asarray(uplift, float), np.asarray(churn_probability, float)[:, None])
        g = u * np.asarray(value_if_retained, dtype=float)[:, None]
    else:
        g = np.full(np.shape(uplift), np.nan)
    contract = np.asarray(contract_type, dtype=object)
    tier = np.asarray(value_tier, dtype=object)
    for j, offer_id in enumerate(offers):
        o = catalogue.offer(offer_id)
        g[:, j] -= expected_cost(catalogue, offer_id, acceptance)
        allowed = np.ones(len(g), dtype=bool)
        if o.contract_types:
            allowed &= np.isin(contract, o.contract_types)
        if o.tiers:
            allowed &= np.isin(tier, o.tiers)
        g[~allowed, j] = np.nan
    return g


def best_of(
    gains: np.ndarray, offers: list[str], min_gain_vnd: float = 0.0
) -> tuple[list[str | None], np.ndarray]:
    """Each row's best offer on its own (None when none gains more than `min_gain_vnd`)
    and its gain (NaN when None)."""
    if gains.size == 0:
        return [None] * len(gains), np.full(len(gains), np.nan)
    filled = np.where(np.isnan(gains), -np.inf, gains)
    k = filled.argmax(axis=1)
    best = filled[np.arange(len(gains)), k]
    ok = best > min_gain_vnd
    return [offers[j] if o else None for j, o in zip(k, ok, strict=True)], np.where(
        ok, best, np.nan
    )


def expected_gains(
    scored: pd.DataFrame,
    uplift: pd.DataFrame,
    catalogue: Catalogue,
    acceptance: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """`gains_matrix` on frames: `scored` has churn_probability, value_if_retained_vnd,
    contract_type and value_tier; `uplift` one column per catalogue offer; `acceptance` the
    uplift model's (`expected_cost`)."""
    offers = [o.offer_id for o in catalogue.offers]
    g = gains_matrix(
        catalogue,
        offers,
        uplift[offers].to_numpy(dtype=float),
        scored["churn_probability"].to_numpy(),
        scored["value_if_retained_vnd"].to_numpy(),
        scored["contract_type"].to_numpy(),
        scored["value_tier"].to_numpy(),
        acceptance=acceptance,
    )
    return pd.DataFrame(g, index=scored.index, columns=offers)


def best_offers(gains: pd.DataFrame, min_gain_vnd: float = 0.0) -> pd.DataFrame:
    """`best_of` on a frame: columns `best_offer` and `best_offer_gain_vnd`."""
    best, gain = best_of(gains.to_numpy(dtype=float), list(gains.columns), min_gain_vnd)
    return pd.DataFrame(
        {
            "best_offer": pd.Series(best, index=gains.index, dtype=object),
            "best_offer_gain_vnd": gain,
        },
        index=gains.index,
    )


def in_control(subscriber_id, campaign_id: str, share: float) -> np.ndarray:
    """Deterministic pseudo-random control membership per (subscriber, campaign)."""
    return control_draw(subscriber_id, campaign_id) < share


def control_draw(subscriber_id, campaign_id: str) -> np.ndarray:
    """A uniform draw in [0, 1) per (subscriber, campaign), from a hash (splitmix64)."""
    salt = np.uint64(int.from_bytes(campaign_id.encode()[:8].ljust(8, b"\0"), "little"))
    x = np.asarray(subscriber_id, dtype=np.uint64) ^ salt
    with np.errstate(over="ignore"):  # splitmix64: wrapping arithmetic is the point
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def _choose(G: np.ndarray, cost: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the offer maximising gain - lam x cost when that is positive (else -1)."""
    adj = G - lam * cost
    k = adj.argmax(axis=1)
    best = adj[np.arange(len(G)), k]
    return np.where(best > 0, k, -1), best


def plan_campaign(
    subscriber_id, gains: pd.DataFrame, catalogue: Catalogue, policy: DecisionPolicy
) -> pd.DataFrame:
    """The campaign list: one row per selected subscriber with `offer_id`, `channel`,
    `expected_gain_vnd`, `cost_vnd` (0 for control) and `group` (treatment / control).

    Treatment costs never exceed the budget, and no offer or channel exceeds its capacity.
    """
    ids = np.asarray(subscriber_id)
    offers = list(gains.columns)
    cost = np.array([catalogue.total_cost(o) for o in offers], dtype=float)
    channel = np.array([catalogue.offer(o).channel for o in offers], dtype=object)
    G = gains.to_numpy(dtype=float)
    G = np.where(np.isnan(G) | np.less_equal(G, policy.min_gain_vnd), -np.inf, G)
    draw = control_draw(ids, policy.campaign_id)
    control = draw < policy.control_share
    budget = float(policy.budget_vnd)

    def spend(k: np.ndarray) -> float:
        sel = (k >= 0) & ~control
        return float(cost[k[sel]].sum())

    lam = 0.0
    k, adj = _choose(G, cost, 0.0)
    if spend(k) > budget:
        with np.errstate(divide="ignore", invalid="ignore"):
            lo, hi = 0.0, float(np.nanmax(np.where(np.isfinite(G), G / cost, np.nan))) + 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if spend(_choose(G, cost, mid)[0]) > budget:
                lo = mid
            else:
                hi = mid
        lam = hi
        k, adj = _choose(G, cost, lam)
    k = _trim_capacities(k, adj, control, offers, channel, catalogue)
    k = _refill(k, G, cost, control, offers, channel, catalogue, budget - spend(k))
    if policy.control_share > 0:
        control = _enough_control(k, control, draw, policy)
        k = _refill(k, G, cost, control, offers, channel, catalogue, budget - spend(k))
    sel = np.flatnonzero(k >= 0)
    kk = k[sel]
    treated = ~control[sel]
    return pd.DataFrame(
        {
            "subscriber_id": ids[sel],
            "offer_id": np.asarray(offers, dtype=object)[kk],
            "channel": channel[kk],
            "expected_gain_vnd": G[sel, kk],
            "cost_vnd": np.where(treated, cost[kk], 0.0),
            "group": np.where(treated, "treatment", "control"),
        }
    ).reset_index(drop=True)


def _enough_control(k, control, draw, policy: DecisionPolicy) -> np.ndarray:
    """Move the selected treatment rows with the smallest draws into the control until it
    holds `control_share` of the selected rows and at least `min_control` of them, but
    never more than half (an equal split is the most a control can usefully take)."""
    sel = k >= 0
    n = int(sel.sum())
    need = min(n // 2, max(int(np.ceil(policy.control_share * n)), policy.min_control))
    have = int((sel & control).sum())
    if have >= need:
        return control
    rows = np.flatnonzero(sel & ~control)
    control = control.copy()
    control[rows[np.argsort(draw[rows], kind="stable")[: need - have]]] = True
    return control


def _caps(catalogue: Catalogue, offers: list[str], channel: np.ndarray):
    for j, o in enumerate(offers):
        cap = catalogue.offer(o).capacity
        if cap > 0:
            yield np.array([j]), cap
    for ch, cap in catalogue.channel_capacity.items():
        if cap > 0:
            yield np.flatnonzero(channel == ch), cap


def _trim_capacities(k, adj, control, offers, channel, catalogue) -> np.ndarray:
    """Keep, per capped offer or channel, the best `capacity` treated rows (and a matching
    share of control rows) by price-adjusted gain."""
    k = k.copy()
    for members, cap in _caps(catalogue, offers, channel):
        for arm, limit in ((~control, cap), (control, None)):
            rows = np.flatnonzero(np.isin(k, members) & arm)
            if limit is None:  # control: same proportion as treatment after trimming
                n_t = int((np.isin(k, members) & ~control).sum())
                share = control.mean() if len(control) else 0.0
                limit = int(np.ceil(n_t * share / max(1 - share, 1e-9)))
            if len(rows) > limit:
                order = rows[np.argsort(-adj[rows], kind="stable")]
                k[order[limit:]] = -1
    return k


def _refill(k, G, cost, control, offers, channel, catalogue, left: float) -> np.ndarray:
    """Spend what trimming freed: unselected treatment rows, best gain per VND first."""
    k = k.copy()
    used = {j: int(((k == j) & ~control).sum()) for j in range(len(offers))}
    caps = list(_caps(catalogue, offers, channel))
    cand = np.flatnonzero((k < 0) & ~control & np.isfinite(G).any(axis=1))
    if not len(cand) or left <= 0:
        return k
    eff = np.where(np.isfinite(G[cand]), G[cand] / cost, -np.inf)
    best = eff.max(axis=1)
    for i in cand[np.argsort(-best, kind="stable")]:
        for j in np.argsort(-np.where(np.isfinite(G[i]), G[i] / cost, -np.inf), kind="stable"):
            if not np.isfinite(G[i, j]) or cost[j] > left:
                continue
            if any(j in members and sum(used[m] for m in members) >= cap for members, cap in caps):
                continue
            k[i], used[j], left = j, used[j] + 1, left - cost[j]
            break
        if left < cost.min():
            break
    return k
