"""The synthetic operator's truth, kept apart from the raw tables.

`generate_operator(config, out, truth=None)` writes it to `truth` (by default
`Path(out).parent / "truth"`), one sub-folder per table with one Parquet part per block of
subscribers; `read_truth(truth_dir, table)` reads a table back, checked against its schema.
Only the generator, this module and evaluation code (bench/, oracle reports) may read it:
nothing in features' snapshot path or in training does.

Rows: every subscriber activated before `as_of` and not terminated or ported out before it,
for `as_of` = the first day of every month of the period after the first (eligible or not;
join the snapshot to keep the eligible ones).

- `churn_probability`: `churn_probability_30d`, the probability that the DESIGN §4 churn label
  as of `as_of` is 1 (termination or port-out in [T, T+30d), or, for prepaid, no billable
  activity in [T, T+30d)), given the subscriber's latent state at the start of `as_of` and
  no new offer sent that day. Computed analytically, not sampled: the leaving chain
  (lifecycle.py) is propagated day by day over the window with the month's known hazards,
  tracking the mass of paths with no loud exit and of paths with no billable day either, and
  the operator's reclaiming of SIMs idle for 60 days. The label rate of the subscribers whom
  a campaign did not treat that day matches its mean.
- `future_value`: `expected_value_vnd_90d`, expected revenue in [T, T+90d) from the same
  propagation over 90 days (later months' grievance is the current one decayed; a second
  60-day idle spell inside the 90 days is ignored, a <0.2% event).
- `offer_effect`: per offer, `churn_probability_30d_treated` if that offer is sent at `as_of`
  (mixing acceptance and the subscriber's response, campaigns.py), the subscriber's
  `uplift_type`, `cost_vnd` = the expected cost of sending it (catalogue cost times the
  probability it is accepted, since only accepted offers cost), and
  `expected_value_vnd_90d_if_retained`: expected revenue in [T, T+90d) of the subscriber
  kept (put back in the staying state and not leaving within the 30-day window) with the
  offer sent. An oracle policy's net gain of sending offer o is
  (churn_probability_30d - churn_probability_30d_treated) * value if retained - cost_vnd.
- `survival`: per `months_ahead` m (1 to 24, as far as the calendar holds), `survival`, the
  probability that the churn label is 0 in each of the first m monthly windows from T, from
  the same chain and hazards (survival_truth.py); m = 1 is 1 - `churn_probability_30d`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from features.contract.schema import SUBSCRIBER_ID, Column, SchemaError, Table
from features.synthetic import campaigns as C
from features.synthetic import hazard as L
from features.synthetic import personas as P
from features.synthetic import propagate as P_
from features.synthetic import survival_truth as S_
from features.synthetic.world import World

CHURN_DAYS, VALUE_DAYS = 30, 90
_AS_OF = Column("as_of", "date", "Snapshot date T (first day of a month)", "local date")
TRUTH_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("churn_probability", "subscriber x as_of", ("subscriber_id", "as_of"), (
            SUBSCRIBER_ID, _AS_OF,
            Column("churn_probability_30d", "float64", "True P(30-day churn label = 1)"))),
        Table("future_value", "subscriber x as_of", ("subscriber_id", "as_of"), (
            SUBSCRIBER_ID, _AS_OF,
            Column("expected_value_vnd_90d", "float64", "Expected revenue in [T, T+90d)",
                   "VND"))),
        Table("offer_effect", "subscriber x as_of x offer", ("subscriber_id", "as_of",
                                                              "offer_id"), (
            SUBSCRIBER_ID, _AS_OF,
            Column("offer_id", "string", "Offer code"),
            Column("churn_probability_30d_treated", "float64",
                   "True P(30-day churn label = 1) if the offer is sent at as_of"),
            Column("uplift_type", "string", "Latent response type", allowed=P.UPLIFT_TYPES),
            Column("cost_vnd", "int64", "Expected cost of sending the offer", "VND"),
            Column("expected_value_vnd_90d_if_retained", "float64",
                   "Expected revenue in [T, T+90d) if kept, with the offer sent", "VND"))),
        Table("survival", "subscriber x as_of x months_ahead", ("subscriber_id", "as_of",
                                                                 "months_ahead"), (
            SUBSCRIBER_ID, _AS_OF,
            Column("months_ahead", "int64", "m: the monthly churn-label windows counted"),
            Column("survival", "float64",
                   "True P(churn label 0 in each of the first m monthly windows from T)"))),
    )
}  # fmt: skip


@dataclass(frozen=True)
class TruthState:
    """The simulation's state at the start of day `t` (before that day's campaign)."""

    t: int
    base: np.ndarray  # activated before t, not terminated
    state: np.ndarray
    grievance: np.ndarray
    dissat: np.ndarray
    offer_mult: np.ndarray
    offer_until: np.ndarray
    last_billable: np.ndarray


def read_truth(truth_dir: Path, table: str) -> pd.DataFrame:
    """Read one truth table (all its parts), checked against its schema."""
    if table not in TRUTH_TABLES:
        raise KeyError(f"truth table '{table}' is not one of {sorted(TRUTH_TABLES)}")
    files = sorted((Path(truth_dir) / table).glob("*.parquet"))
    if not files:
        raise SchemaError(f"{table}: no {Path(truth_dir)}/{table}/*.parquet")
    for f in files:
        TRUTH_TABLES[table].check(pq.read_schema(f), source=str(f))
    frame = pq.ParquetDataset(files).read().to_pandas()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame


def truth_at(
    lat: L.Latent,
    world: World,
    as_of: date,
    snap: TruthState,
    effect: C.Effect = C.Effect(),
    survival: bool = True,
) -> dict[str, pd.DataFrame]:
    """The truth tables' rows for the block's base at `as_of` (day `snap.t`); without
    `survival`, not the survival curves (most of the time; nothing else changes)."""
    idx = np.flatnonzero(snap.base)
    sub = C._take(lat, idx)
    m, t0, n_off = len(idx), snap.t, len(P.OFFERS)
    state = snap.state[idx]
    prepaid = ~sub.postpaid
    # The last day k (from T) whose inactivity gets a prepaid SIM reclaimed, if still idle.
    kstar = np.where(
        prepaid,
        np.maximum(L.INACTIVITY_TERMINATION_DAYS - (t0 - snap.last_billable[idx]), 0),
        10**6,
    )
    offers = np.arange(n_off)
    works_mult = np.stack(
        [C.treated_multiplier(sub, np.full(m, o), effect) for o in offers]
    )  # (4, m)
    win = np.stack([C.win_back(sub, np.full(m, o), effect) for o in offers])
    persuadable = sub.uplift == C.PERSUADABLE
    win = np.where(persuadable, win, 0.0)

    # Variant 0: untreated; 1-4: offer o working from T (persuadables may be won back).
    S = P_.one_hot(state, 1 + n_off)
    back = sum(S[s][1:] for s in (L.TAPER, L.FADE, L.QUIET)) * win
    for s in (L.TAPER, L.FADE, L.QUIET):
        S[s][1:] *= 1 - win
    S[L.STAY][1:] += back
    month_start = _month_starts(world.start, t0, VALUE_DAYS)
    no_offer = np.ones((n_off, m))
    grievance, dissat = snap.grievance[idx], snap.dissat[idx]
    offer_mult, offer_until = snap.offer_mult[idx], snap.offer_until[idx]

    def hazards(k: int) -> np.ndarray:
        t = t0 + k
        g = (
            grievance
            if month_start[k] == t0
            else dissat * L.DISSATISFACTION_DECAY ** (month_start[k] - t0)
        )
        running = np.where(offer_until >= t, offer_mult, 1.0)
        mult = np.vstack([running[None], works_mult if k < P.OFFER_DAYS else no_offer])
        return L.hazard(sub, world, t, g, mult)

    def day_rates(k: int) -> tuple[np.ndarray, np.ndarray]:
        return L.activity(sub, world, t0 + k), L.expected_charge(sub, world, t0 + k)

    churn, value, value_kept = P_.propagate(
        S, 1 + n_off, hazards, day_rates, 1 - sub.loud_share, prepaid, kstar, CHURN_DAYS, VALUE_DAYS
    )
    accept = np.stack([C.accept_probability(sub, np.full(m, o)) for o in offers])
    dog = sub.uplift == C.SLEEPING_DOG
    p_sent = np.where(
        persuadable,
        accept * churn[1:] + (1 - accept) * churn[0],
        np.where(dog, churn[1:], churn[0]),
    )
    kept = np.where(
        persuadable,
        accept * value_kept[1:] + (1 - accept) * value_kept[0],
        np.where(dog, value_kept[1:], value_kept[0]),
    )
    ids, day = sub.ids, np.full(m, np.datetime64(as_of, "D"))
    return {
        "churn_probability": pd.DataFrame(
            {"subscriber_id": ids, "as_of": day, "churn_probability_30d": churn[0]}),
        "future_value": pd.DataFrame(
            {"subscriber_id": ids, "as_of": day, "expected_value_vnd_90d": value}),
        "offer_effect": pd.DataFrame({
            "subscriber_id": np.tile(ids, n_off),
            "as_of": np.tile(day, n_off),
            "offer_id": np.repeat([o.offer_id for o in P.OFFERS], m),
            "churn_probability_30d_treated": p_sent.ravel(),
            "uplift_type": np.tile(np.array(P.UPLIFT_TYPES)[sub.uplift], n_off),
            "cost_vnd": np.round(accept * C.OFFER_COST_VND[:, None]).astype(np.int64).ravel(),
            "expected_value_vnd_90d_if_retained": kept.ravel(),
        }),
    } | ({"survival": S_.survival_frame(ids, as_of, S_.survival_curves(
        sub, world, as_of, state, grievance, dissat, (offer_mult, offer_until), kstar
    ))} if survival else {})  # fmt: skip


def _month_starts(start: date, t0: int, days: int) -> np.ndarray:
    """For each day t0 + k, the day index of the first day of its month."""
    out = np.empty(days, dtype=np.int64)
    for k in range(days):
        d = start + timedelta(days=t0 + k)
        out[k] = (d.replace(day=1) - start).days
    return out
