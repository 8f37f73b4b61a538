"""The truth's survival curves: the probability that a subscriber is still one, month after
month, computed from the hazards the simulation really applies.

S(m) as of T (the first of a month) is the probability that the DESIGN §4 churn label is 0
in each of the first m monthly windows [T_j, T_j + 30d), T_j the first day of the j-th month
from T (T_1 = T): no loud exit (termination or port-out) from T to the end of window m, and,
for a prepaid line, a billable day in every window. It is what a survival model of the
monthly churn label estimates; S(1) = 1 - `churn_probability_30d`, except that a February
window reaches into March, whose grievance the 30-day truth takes as February's decayed.

The leaving chain is stepped on probability masses day by day as for the 30-day label
(propagate.py), carrying A, the mass still surviving, and B, the part of A with no billable
day yet in an open window (windows overlap when a month is shorter than 30 days); when a
window closes, a prepaid line's B leaves. The days' hazards (tenure, promotions, season, a
running offer) are known, except the grievance of the months after T: it is re-assessed on
each first of a month from the dissatisfaction the subscriber accumulates while staying
(dropped calls, unresolved care contacts; simulation.py's rules). Since the hazard acts only
on subscribers still staying, and a staying subscriber's dissatisfaction does not depend on
the chain, S(m) is the mean over `GRIEVANCE_PATHS` sampled paths of that dissatisfaction of
the exact S(m) given the path (Monte Carlo only over grievance; its seed is derived from the
block's first id and T, and its generator is not the simulation's, whose bytes it leaves
unchanged). Decaying the current grievance instead, as the 90-day value does, overstates
survival by several points at six months. No new offer is sent (the truth's "no offer sent
at T"). A prepaid SIM idle up to its 60th day is reclaimed in the first window as in
propagate.py; later, a line with a billable day in every window is never idle that long
(at most a day past it across a 31-day month, ignored).

Months run as far as the world's calendar (the data plus its last 90 days) holds a whole
window, at most `MAX_MONTHS`.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from features.synthetic import hazard as L
from features.synthetic import propagate as P_
from features.synthetic.world import World

MAX_MONTHS = 24  # DESIGN §4: survival m = 1..24
WINDOW_DAYS = 30  # the churn label's horizon
GRIEVANCE_PATHS = 16  # sampled dissatisfaction paths per subscriber


def window_starts(world: World, as_of: date) -> list[int]:
    """Day offsets from T of the monthly windows whose 30 days the world's calendar holds."""
    t0 = (as_of - world.start).days
    out, day = [], as_of
    while len(out) < MAX_MONTHS and t0 + (day - as_of).days + WINDOW_DAYS <= world.days:
        out.append((day - as_of).days)
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def survival_curves(
    sub: L.Latent,
    world: World,
    as_of: date,
    state: np.ndarray,
    grievance: np.ndarray,
    dissat: np.ndarray,
    running: tuple[np.ndarray, np.ndarray],
    reclaim_day: np.ndarray,
) -> np.ndarray:
    """S(m) for m = 1..len(window_starts) (columns) of the subscribers of `sub` in chain
    `state` at the start of `as_of`, with this month's `grievance`, their dissatisfaction
    `dissat`, the `running` offer (multiplier, last day) and `reclaim_day`, the day k on which
    a still-idle prepaid SIM is reclaimed (module docstring)."""
    t0 = (as_of - world.start).days
    starts = window_starts(world, as_of)
    rng = np.random.default_rng([int(sub.ids[0]) if len(sub) else 0, t0])
    paths = grievance_paths(sub, world, t0, dissat, starts[-1] + WINDOW_DAYS if starts else 0,
                            rng)  # fmt: skip
    offer_mult, offer_until = running

    def hazard_at(k: int) -> np.ndarray:
        t = t0 + k
        first = ((world.start + timedelta(days=t)).replace(day=1) - world.start).days
        g = grievance if first == t0 else paths[first - t0]
        return L.hazard(sub, world, t, g, np.where(offer_until >= t, offer_mult, 1.0))

    prepaid = ~sub.postpaid
    keep = 1 - sub.loud_share
    A = [x[0] for x in P_.one_hot(state, 1)]
    open_: dict[int, list[np.ndarray]] = {}  # window -> its B (windows may overlap in February)
    out = np.empty((len(sub), len(starts)))
    for k in range(starts[-1] + WINDOW_DAYS if starts else 0):
        open_ |= {j: [a.copy() for a in A] for j, s in enumerate(starts) if s == k}
        h = hazard_at(k)
        A = P_.chain(A, h, keep)
        open_ = {j: P_.chain(B, h, keep) for j, B in open_.items()}
        if not open_:
            continue
        b = L.activity(sub, world, t0 + k)
        for j, B in open_.items():
            checking = k <= reclaim_day if j == 0 else np.ones(len(sub), dtype=bool)
            open_[j] = [x * np.where(checking, 1 - b[:, s], 1.0) for s, x in enumerate(B)]
        if 0 in open_ and (k == reclaim_day).any():  # the first window: an idle SIM reclaimed
            A, open_ = _leave(A, open_, 0, k == reclaim_day)
        for j in [j for j in open_ if k - starts[j] == WINDOW_DAYS - 1]:
            A, open_ = _leave(A, open_, j, prepaid)  # the window closes: silent lines leave
            del open_[j]
            out[:, j] = np.atleast_2d(np.clip(sum(A), 0.0, 1.0)).mean(axis=0)
    return out


def grievance_paths(
    sub: L.Latent, world: World, t0: int, dissat: np.ndarray, days: int, rng: np.random.Generator
) -> dict[int, np.ndarray]:
    """Sampled dissatisfaction of staying subscribers (`GRIEVANCE_PATHS` x m) at the start of
    each first of a month in the `days` after day `t0`, keyed by days from t0: the rules of
    simulation.py for a subscriber in STAY (active days, dropped calls, care contacts and
    whether they were resolved)."""
    n = (GRIEVANCE_PATHS, len(sub))
    d = np.broadcast_to(dissat, n).copy()
    voice = sub.persona_attr("voice_out_min")
    out = {}
    firsts = [k for k in range(1, days) if (world.start + timedelta(days=t0 + k)).day == 1]
    for k in range(max(firsts, default=0) + 1):
        t = t0 + k
        if k in firsts:
            out[k] = d.copy()
        active = rng.random(n) < L.activity(sub, world, t)[:, L.STAY]
        bad = world.bad_day[sub.province, t]
        p_drop = np.minimum(world.drop_rate[sub.province] * np.where(bad, 6.0, 1.0), 0.5)
        rate = voice / 2.5 * sub.spend * L.engagement(sub, world, t) * p_drop
        dropped = rng.poisson(np.where(active, rate, 0.0))  # binomial of Poisson calls: thinned
        d *= L.DISSATISFACTION_DECAY
        d += 0.35 * dropped
        p_care = 0.0012 + active * (0.03 * bad + 0.08 * np.minimum(dropped, 3))
        care = rng.random(n) < p_care
        unresolved = rng.random(n) >= np.where(d > 0.5, 0.5, 0.75)  # network: half resolved
        d += 0.8 * (care & unresolved)
    return out


def _leave(A, open_: dict, j: int, who: np.ndarray):
    """Window j's B mass (paths with no billable day since it opened) leaves, for `who`;
    it lies inside every later-opened window's B too, so it leaves those as well."""
    gone = [np.where(who, x, 0.0) for x in open_[j]]
    A = [a - g for a, g in zip(A, gone, strict=True)]
    open_ = {
        i: [x - g for x, g in zip(B, gone, strict=True)] if i != j else [
            np.where(who, 0.0, x) for x in B]
        for i, B in open_.items()
    }  # fmt: skip
    return A, open_


def survival_frame(ids: np.ndarray, as_of: date, curves: np.ndarray) -> pd.DataFrame:
    """The `survival` truth table's rows: subscriber x months_ahead."""
    m, months = curves.shape
    return pd.DataFrame(
        {
            "subscriber_id": np.repeat(ids, months),
            "as_of": np.full(m * months, np.datetime64(as_of, "D")),
            "months_ahead": np.tile(np.arange(1, months + 1, dtype=np.int64), m),
            "survival": curves.ravel(),
        }
    )
