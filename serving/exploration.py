"""Cold start: an exploration campaign when there is no uplift model to plan with.

An operator that adopts Retain has no randomised campaign history yet, so no uplift model
(or none that ranks better than random, which is never put under the alias). Instead of
planning nothing, Retain randomises offers among the eligible subscribers of the segments
a playbook names (value tier x relationship state -> candidate offers, `playbook.toml` by
default), in a random order within the budget, and holds out a control group as for any
campaign, at least as large as the power calculation asks (`DecisionPolicy.min_control`,
see `serving.campaign_gain`; when the eligible subscribers run out before the budget, up
to half of the campaign): next cycle's `retain train-uplift` has randomised rows to
learn from, and the one after can see the effect.

Randomness is a hash of (subscriber, campaign), as for the control group: the same plan on
every re-run.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from features.tiers import RELATIONSHIP_STATES, VALUE_TIERS
from serving.catalogue import Catalogue
from serving.decision import DecisionPolicy, control_draw

EXPLORATION, UPLIFT = "exploration", "uplift"  # a campaign row's purpose


@dataclass(frozen=True)
class Playbook:
    """Candidate offers per (value tier, relationship state)."""

    segments: dict[tuple[str, str], tuple[str, ...]]

    @classmethod
    def from_toml(cls, path: Path | None, catalogue: Catalogue) -> Playbook:
        """Read a playbook (without a path, the one shipped with Retain); every tier, state
        and offer must exist."""
        where = str(path or "serving/playbook.toml")
        text = Path(path).read_text() if path else files("serving").joinpath("playbook.toml")
        data = tomllib.loads(text if isinstance(text, str) else text.read_text())
        known = {o.offer_id for o in catalogue.offers}
        segments: dict[tuple[str, str], tuple[str, ...]] = {}
        for i, d in enumerate(data.get("segment", [])):
            for key, allowed in (("tiers", VALUE_TIERS), ("states", RELATIONSHIP_STATES)):
                bad = sorted(set(d.get(key, ())) - set(allowed))
                if bad:
                    raise ValueError(f"{where}: segment[{i}].{key}: unknown {bad}")
            unknown = sorted(set(d.get("offers", ())) - known)
            if unknown or not d.get("offers"):
                raise ValueError(f"{where}: segment[{i}].offers: none given or not in the "
                                 f"catalogue {unknown}")  # fmt: skip
            for tier in d.get("tiers", ()):
                for state in d.get("states", ()):
                    segments[(tier, state)] = tuple(d["offers"])
        if not segments:
            raise ValueError(f"{where}: no [[segment]] names a tier and a state")
        return cls(segments)


@dataclass(frozen=True)
class Exploration:
    """What an exploration campaign needs beside the scores."""

    catalogue: Catalogue
    playbook: Playbook
    vectors: Path  # the scored vectors (contract type decides which offers are allowed)


def explore(scores: pd.DataFrame, exploration: Exploration, policy: DecisionPolicy) -> pd.DataFrame:
    """The exploration campaign: `scores` has subscriber_id, value_tier, relationship_state
    and contract_type. Same columns as `plan_campaign`'s plan, expected gain NaN (unknown:
    that is what the campaign is for)."""
    cat, book = exploration.catalogue, exploration.playbook
    ids = scores["subscriber_id"].to_numpy()
    draw = control_draw(ids, policy.campaign_id)
    pick = control_draw(ids, policy.campaign_id + "/offer")
    offer = np.full(len(scores), None, dtype=object)
    # The offers allowed depend on (tier, state, contract type) only: decided once per
    # combination present, then each row picks among its combination's offers.
    keys = scores[["value_tier", "relationship_state", "contract_type"]].astype(object)
    combos, which = np.unique(keys.to_numpy().astype(str), axis=0, return_inverse=True)
    for k, (tier, state, contract) in enumerate(combos):
        allowed = [
            o
            for o in book.segments.get((tier, state), ())
            if (not cat.offer(o).contract_types or contract in cat.offer(o).contract_types)
            and (not cat.offer(o).tiers or tier in cat.offer(o).tiers)
        ]
        rows_k = np.flatnonzero(which.ravel() == k)
        if allowed and len(rows_k):
            choice = (pick[rows_k] * len(allowed)).astype(int)
            offer[rows_k] = np.asarray(allowed, dtype=object)[choice]
    rows = np.flatnonzero(offer != None)  # noqa: E711 (element-wise)
    rows = rows[np.argsort(control_draw(ids[rows], policy.campaign_id + "/order"), kind="stable")]
    control = draw[rows] < policy.control_share
    cost = np.array([cat.total_cost(o) for o in offer[rows]], dtype=float)
    treat = ~control & (np.cumsum(np.where(control, 0.0, cost)) <= policy.budget_vnd)
    m = int(np.flatnonzero(treat)[-1]) + 1 if treat.any() else 0  # the campaign: a prefix
    # as in `plan_campaign`, never without a control group and at least the size the power
    # calculation asks for (`min_control`); unlike there, not capped at half the campaign:
    # a control row costs nothing, so the budget never limits it, only the eligible rows do
    need = max(int(np.ceil(policy.control_share * m)), policy.min_control) if m else 0
    held, treated = np.flatnonzero(control[:m]), np.flatnonzero(treat)
    if len(held) < need:  # the next rows of the same random order join it
        after = np.arange(m, len(rows))
        held = np.concatenate([held, after[: need - len(held)]])
    # When the eligible rows run out first, the campaign is split so that the control gets
    # what it asks for, up to half of it: the last treated rows of the random order (a
    # random subset themselves) join the control group instead of being treated.
    short = min(need, (len(treated) + len(held)) // 2) - len(held)
    if short > 0:
        held, treated = np.concatenate([held, treated[-short:]]), treated[:-short]
    keep = np.sort(np.concatenate([treated, held]))
    is_control = np.isin(keep, held)
    chosen = rows[keep]
    return pd.DataFrame(
        {
            "subscriber_id": ids[chosen],
            "offer_id": offer[chosen],
            "channel": [cat.offer(o).channel for o in offer[chosen]],
            "expected_gain_vnd": np.nan,
            "cost_vnd": np.where(is_control, 0.0, cost[keep]),
            "group": np.where(is_control, "control", "treatment"),
        }
    )
