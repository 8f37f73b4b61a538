"""One block of synthetic subscribers simulated day by day, vectorised over the block.

Each day: on the first of a month the grievance behind the leaving hazard is re-assessed, the
truth is taken (before anything else happens that day) and the operator runs its retention
campaign; then the leaving chain steps (lifecycle.py), exits are recorded, active subscribers
use the network (an active day is always billable: prepaid subscribers top up, or borrow
airtime, when their balance runs short), the network drops calls (more on a province's bad
days), dissatisfied subscribers call customer care, some change plan or buy packages, the
operator reclaims prepaid SIMs idle for 60 days, and on the last day of a month postpaid
lines are billed (leavers pay late or not at all).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from features.synthetic import campaigns as C
from features.synthetic import hazard as L
from features.synthetic import personas as P
from features.synthetic.block_tables import BlockRows
from features.synthetic.truth import TruthState, truth_at
from features.synthetic.world import World

MINUTES_PER_DAY = 1440.0


def draw_latent(
    rng: np.random.Generator,
    ids: np.ndarray,
    n_days: int,
    new_share: float,
    uplift_shares: tuple[float, ...] = P.UPLIFT_SHARES,
) -> L.Latent:
    """Draw a block's subscribers: persona, contract, province, activation and latent traits."""
    n = len(ids)
    personas = P.PERSONAS
    pi = rng.choice(len(personas), n, p=[p.share for p in personas])
    postpaid = rng.random(n) < np.array([p.postpaid_share for p in personas])[pi]
    weights = np.array([w for _, _, w in P.PROVINCES])
    prov = rng.choice(len(P.PROVINCES), n, p=weights / weights.sum())
    is_new = rng.random(n) < new_share
    act_offset = np.where(
        is_new,
        rng.integers(0, max(n_days - 30, 1), n),
        -np.minimum(rng.exponential(3 * 365, n), 15 * 365).astype(np.int64) - 1,
    )
    uplift = rng.choice(len(P.UPLIFT_TYPES), n, p=uplift_shares)
    leave = np.array([p.leave_hazard for p in personas])[pi]
    return L.Latent(
        ids=ids,
        persona=pi,
        postpaid=postpaid,
        province=prov,
        act_offset=act_offset,
        spend=rng.lognormal(-0.45, 0.95, n),
        drift=rng.lognormal(0.0, 0.3, n),
        hazard_base=leave * np.array(P.UPLIFT_HAZARD)[uplift] * rng.lognormal(0.0, 0.5, n),
        price_sens=np.array([p.price_sensitivity for p in personas])[pi],
        uplift=uplift,
        persuasion=rng.beta(5.0, 2.0, n),
    )


def simulate_block(
    start: date,
    n_days: int,
    world: World,
    rng: np.random.Generator,
    ids: np.ndarray,
    new_share: float,
    policy: C.CampaignPolicy,
    survival: bool = True,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Simulate one block over `n_days` days; return (raw tables, truth tables: without
    `survival`, not the survival curves, see `truth_at`)."""
    lat = draw_latent(rng, ids, n_days, new_share, policy.effect.uplift_shares)
    n = len(lat)
    rows = BlockRows(start, lat, rng)
    plans = np.array([rng.choice(P.PERSONAS[k].plans) for k in lat.persona], dtype=object)
    other = lat.postpaid & (lat.persona != 3)
    plans[other] = rng.choice(P.POSTPAID_PLANS, int(other.sum()))
    rows.activations(plans)

    active_prob = lat.persona_attr("active_prob")
    voice, data, sms = (lat.persona_attr(a) for a in ("voice_out_min", "data_mb", "sms_out"))
    topups = [np.array(p.topups_vnd or (0,), dtype=np.int64) for p in P.PERSONAS]
    habit = np.array([topups[k][rng.integers(len(topups[k]))] for k in lat.persona])
    state = np.zeros(n, dtype=np.int8)
    terminated = np.zeros(n, dtype=bool)
    last_billable = np.where(lat.act_offset >= 0, lat.act_offset, -1)
    balance = rng.integers(0, 60_000, n).astype(np.int64)
    loan = np.zeros(n, dtype=np.int64)
    dissat = np.zeros(n)
    grievance = np.zeros(n)
    contacts = np.zeros(n)  # recent care contacts, as the operator's CRM counts them
    offer_mult = np.ones(n)
    offer_until = np.full(n, -1)
    month_rev = np.zeros(n, dtype=np.int64)
    truth: dict[str, list[pd.DataFrame]] = {}

    for t in range(n_days):
        today = start + timedelta(days=t)
        present = (lat.act_offset <= t) & ~terminated
        if today.day == 1:
            grievance = dissat.copy()
            if t > 0:
                snap = TruthState(
                    t,
                    present & (lat.act_offset < t),
                    state,
                    grievance,
                    dissat,
                    offer_mult,
                    offer_until,
                    last_billable,
                )
                for name, frame in truth_at(
                    lat, world, today, snap, policy.effect, survival
                ).items():
                    truth.setdefault(name, []).append(frame)
                eligible = (
                    present & (lat.act_offset < t) & (state != L.GONE) & (t - last_billable <= 30)
                )
                score = (
                    grievance
                    + 3.0 * contacts
                    + 0.03 * (t - last_billable)
                    + 0.4 * (t - lat.act_offset < 120)
                )
                sent = C.run_campaign(
                    policy, rng, lat, t, eligible, score, state, offer_mult, offer_until
                )
                if sent is not None:
                    rows.campaign(today, sent)
        mult = np.where(offer_until >= t, offer_mult, 1.0)
        h = L.hazard(lat, world, t, grievance, mult)
        live = present & (state != L.GONE)
        new_state, exited, loud = L.step(state, h, lat.loud_share, rng)
        state = np.where(live, new_state, state).astype(np.int8)
        rows.exits(t, np.flatnonzero(live & loud), lat.postpaid)
        terminated |= live & loud
        alive = present & ~terminated & (state != L.GONE)
        leaving = alive & np.isin(state, (L.TAPER, L.FADE))

        # Usage: an active day is a billable day.
        base = active_prob * np.sqrt(lat.drift * world.season_usage[t])
        b = np.minimum(base * L.ACTIVITY[state], L.MAX_ACTIVITY)
        idx = np.flatnonzero(alive & (rng.random(n) < b))
        m = len(idx)
        e = L.engagement(lat, world, t)[idx] * L.VOLUME[state[idx]]
        s = lat.spend[idx]
        calls = rng.poisson(voice[idx] / 2.5 * s * e)
        # A day has 1,440 minutes: the heaviest talkers' tails are capped there (the data
        # contract rejects more as implausible).
        vmin = np.minimum(np.round(calls * rng.gamma(2.0, 1.25, m), 1), MINUTES_PER_DAY)
        vin = np.minimum(np.round(rng.gamma(1.5, voice[idx] * 0.8 * e / 1.5), 1), MINUTES_PER_DAY)
        nsms = rng.poisson(sms[idx] * e)
        mb = rng.gamma(0.8, data[idx] * s * e / 0.8)
        bad = world.bad_day[lat.province[idx], t]
        p_drop = np.minimum(world.drop_rate[lat.province[idx]] * np.where(bad, 6.0, 1.0), 0.5)
        dropped = rng.binomial(calls, p_drop)
        revenue = np.ceil(
            vmin * P.VOICE_VND_PER_MIN + nsms * P.SMS_VND + mb * P.DATA_VND_PER_MB
        ).astype(np.int64)
        # Prepaid balance: top up (or borrow airtime) when today's use would not be covered.
        pre = ~lat.postpaid[idx]
        short = pre & (balance[idx] < revenue)
        who = idx[short]
        borrow = (lat.persona[who] == 1) & (loan[who] == 0) & (rng.random(len(who)) < 0.3)
        borrow &= revenue[short] - balance[who] <= P.AIRTIME_LOAN_VND
        lend = who[borrow]
        balance[lend] += P.AIRTIME_LOAN_VND
        loan[lend] = P.AIRTIME_LOAN_VND + P.AIRTIME_LOAN_FEE_VND
        top = who[~borrow]
        need = revenue[short][~borrow] - balance[top] + loan[top]
        amount = habit[top] * np.maximum(np.ceil(need / habit[top]), 1).astype(np.int64)
        balance[top] += amount - loan[top]
        loan[top] = 0
        rows.recharges(t, top, amount, lend)
        balance[idx] -= np.where(pre, revenue, 0)
        month_rev[idx] += revenue
        last_billable[idx] = t
        rows.usage(t, idx, calls, vmin, vin, nsms, np.round(mb, 1), revenue, dropped)

        # Dissatisfaction: dropped calls and unresolved complaints, fading over weeks.
        dissat *= L.DISSATISFACTION_DECAY
        dissat[idx] += 0.35 * dropped
        p_care = np.where(alive, 0.0012 + 0.03 * leaving, 0.0)
        p_care[idx] += 0.03 * bad + 0.08 * np.minimum(dropped, 3)
        care = np.flatnonzero(rng.random(n) < p_care)
        unresolved = rows.care(t, care, leaving[care], dissat[care])
        dissat[care[unresolved]] += 0.8
        contacts *= 0.97
        contacts[care] += 1.0

        # Lifecycle: plan changes (downgrades while leaving) and data packages.
        p_chg = np.where(alive, 0.0006 + 0.004 * leaving, 0.0)
        rows.plan_changes(t, np.flatnonzero(rng.random(n) < p_chg), leaving)
        p_pkg = np.where(alive & (lat.persona == 0), 0.033 * L.VOLUME[state], 0.0)
        rows.packages(t, np.flatnonzero(rng.random(n) < p_pkg))

        # The operator reclaims prepaid SIMs with no billable activity for 60 days.
        idle = present & ~terminated & ~lat.postpaid
        idle &= t - last_billable >= L.INACTIVITY_TERMINATION_DAYS
        rows.idle_terminations(t, np.flatnonzero(idle))
        terminated |= idle
        if (today + timedelta(days=1)).day == 1 and t + 1 < n_days:
            rows.invoices(today, lat.postpaid & (month_rev > 0), leaving, month_rev, n_days)
            month_rev[:] = 0

    frames = {k: pd.concat(v, ignore_index=True) for k, v in truth.items()}
    return rows.frames(plans), frames
