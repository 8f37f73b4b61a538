"""A seeded synthetic mobile operator that writes the raw tables of the data contract.

The base is simulated day by day, vectorised over a block of subscribers. Each subscriber
has a persona, a home province with its own network quality, a spend scale and a latent
response to retention offers. Every day a subscriber who has not decided to leave may do
so with a hazard that rises with dissatisfaction (dropped calls, unresolved complaints),
short tenure, competitor promotions in their province and the weeks after Tết, and falls
while a retention offer works on a persuadable subscriber. Most leavers then taper usage
and top-ups for 10-45 days, complain, and ask about porting out before they go; a quarter
go quietly. Prepaid leavers mostly just stop; the operator terminates a SIM after 60 days
without billable activity.

Blocks of subscribers are independent (each has its own seed stream), so a base of any size
is generated block by block in bounded memory and the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from features import personas as P
from features.schema import TABLES
from features.sources import write_table

log = logging.getLogger(__name__)

TET = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
}
INACTIVITY_TERMINATION_DAYS = 60
UPLIFT_TYPES = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")


@dataclass(frozen=True)
class GeneratorConfig:
    subscribers: int = 20_000
    start: date = date(2025, 1, 1)
    months: int = 12
    seed: int = 42
    block_size: int = 25_000
    new_share: float = 0.15  # share of the base activated during the period
    campaign_share: float = 0.05  # share of the live base targeted by each monthly campaign
    control_share: float = 0.2  # randomised hold-out within each campaign

    @property
    def end(self) -> date:
        """First day after the generated period."""
        year, month = divmod(self.start.month - 1 + self.months, 12)
        return date(self.start.year + year, month + 1, self.start.day)


@dataclass(frozen=True)
class World:
    """Operator-wide conditions shared by every block: network quality and competitors."""

    drop_rate: np.ndarray  # per province, share of calls dropped on a normal day
    bad_day: np.ndarray  # province x day, bool
    promo: np.ndarray  # province x day, bool: a competitor promotion is running
    season_usage: np.ndarray  # per day, usage multiplier
    season_hazard: np.ndarray  # per day, leaving-hazard multiplier


def make_world(config: GeneratorConfig) -> World:
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 1_000_003]))
    n_days = (config.end - config.start).days
    n_prov = len(P.PROVINCES)
    drop_rate = rng.beta(2.0, 140.0, n_prov)
    bad_day = rng.random((n_prov, n_days)) < 0.02
    promo = np.zeros((n_prov, n_days), dtype=bool)
    for p in range(n_prov):
        for _ in range(rng.poisson(1.2)):
            s = int(rng.integers(0, n_days))
            promo[p, s : s + int(rng.integers(21, 46))] = True
    usage = np.ones(n_days)
    hazard = np.ones(n_days)
    for tet in TET.values():
        d = (tet - config.start).days
        for lo, hi, u, h in (
            (d - 10, d, 1.25, 1.0),
            (d, d + 7, 0.7, 1.0),
            (d + 7, d + 37, 1.0, 1.6),
        ):
            lo, hi = max(lo, 0), min(hi, n_days)
            if lo < hi:
                usage[lo:hi] *= u
                hazard[lo:hi] *= h
    return World(drop_rate, bad_day, promo, usage, hazard)


def generate_operator(config: GeneratorConfig, out: Path) -> dict:
    """Simulate the base and write every raw table under `out`; return the manifest."""
    out = Path(out)
    world = make_world(config)
    n_blocks = 0
    for lo in range(0, config.subscribers, config.block_size):
        hi = min(lo + config.block_size, config.subscribers)
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, n_blocks]))
        tables = simulate_block(config, world, rng, np.arange(lo + 1, hi + 1, dtype=np.int64))
        for name, frame in tables.items():
            write_table(frame, TABLES[name], out / name / f"part-{n_blocks:05d}.parquet")
        log.info("generated subscribers %d-%d", lo + 1, hi)
        n_blocks += 1
    manifest = {
        "generator": asdict(config) | {"start": config.start.isoformat()},
        "data_start": config.start.isoformat(),
        "data_end": config.end.isoformat(),
        "time_zone": "Asia/Ho_Chi_Minh",
        "blocks": n_blocks,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def _timestamps(day0: np.datetime64, days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    seconds = rng.integers(6 * 3600, 23 * 3600, len(days))
    return (day0 + days.astype("timedelta64[D]")).astype("datetime64[s]") + seconds.astype(
        "timedelta64[s]"
    )


def simulate_block(
    config: GeneratorConfig, world: World, rng: np.random.Generator, ids: np.ndarray
) -> dict[str, pd.DataFrame]:
    """Simulate one block of subscribers over the whole period; return the raw tables."""
    n = len(ids)
    n_days = (config.end - config.start).days
    day0 = np.datetime64(config.start, "D")
    personas = P.PERSONAS
    pi = rng.choice(len(personas), n, p=[p.share for p in personas])
    pget = lambda attr: np.array([getattr(p, attr) for p in personas])[pi]  # noqa: E731
    postpaid = rng.random(n) < pget("postpaid_share")
    weights = np.array([w for _, _, w in P.PROVINCES])
    prov = rng.choice(len(P.PROVINCES), n, p=weights / weights.sum())
    is_new = rng.random(n) < config.new_share
    act_offset = np.where(
        is_new,
        rng.integers(0, n_days - 30, n),
        -np.minimum(rng.exponential(3 * 365, n), 15 * 365).astype(int) - 1,
    )
    spend = rng.lognormal(0.0, 0.75, n)
    drift = rng.lognormal(0.0, 0.25, n)  # slow, persistent engagement level
    hazard_base = pget("leave_hazard") * rng.lognormal(0.0, 0.5, n)
    price_sens = pget("price_sensitivity")
    p_active, voice, data, sms = (
        pget(a) for a in ("active_prob", "voice_out_min", "data_mb", "sms_out")
    )
    uplift_type = rng.choice(4, n, p=[0.3, 0.45, 0.18, 0.07])
    plans = np.array([rng.choice(personas[k].plans) for k in pi], dtype=object)
    plans[postpaid & (pi != 3)] = rng.choice(P.POSTPAID_PLANS, int((postpaid & (pi != 3)).sum()))

    inf = np.iinfo(np.int64).max
    leave_start = np.full(n, inf)
    exit_day = np.full(n, inf)
    exit_kind = np.zeros(n, dtype=np.int8)  # 1 termination, 2 port-out, 3 silent
    terminated = np.zeros(n, dtype=bool)
    last_billable = np.where(act_offset >= 0, act_offset, 0)
    balance = rng.integers(0, 60_000, n).astype(np.int64)
    loan = np.zeros(n, dtype=np.int64)
    dissat = np.zeros(n)
    offer_mult = np.ones(n)
    offer_until = np.full(n, -1)
    month_rev = np.zeros(n, dtype=np.int64)
    rows: dict[str, list] = {
        k: [] for k in ("usage", "recharges", "care", "events", "campaigns", "invoices")
    }

    for t in range(n_days):
        today = config.start + timedelta(days=t)
        alive = (act_offset <= t) & ~terminated & (exit_day > t)
        leaving = alive & (leave_start <= t)
        # Decide to leave.
        tenure = t - act_offset
        offer_mult[offer_until < t] = 1.0
        hazard = (
            hazard_base
            * (1.0 + 1.5 * np.exp(-np.maximum(tenure, 0) / 90.0))
            * np.exp(np.minimum(0.55 * dissat, 2.5))
            * np.where(world.promo[prov, t], 1.0 + 0.9 * price_sens, 1.0)
            * world.season_hazard[t]
            * offer_mult
            / np.sqrt(drift)
        )
        starts = alive & ~leaving & (rng.random(n) < hazard)
        lead = np.where(rng.random(n) < 0.25, rng.integers(0, 4, n), rng.integers(10, 46, n))
        leave_start[starts] = t
        exit_day[starts] = t + lead[starts]
        leaving |= starts
        ramp = np.where(
            leaving, 1.0 - 0.85 * (t - leave_start) / np.maximum(exit_day - leave_start, 1), 1.0
        )
        eng = drift * ramp * world.season_usage[t]
        active = alive & (rng.random(n) < np.clip(p_active * np.sqrt(eng), 0.0, 0.98))
        idx = np.flatnonzero(active)
        m = len(idx)
        e, s = eng[idx], spend[idx]
        calls = rng.poisson(voice[idx] / 2.5 * s * e)
        vmin = np.round(calls * rng.gamma(2.0, 1.25, m), 1)
        vin = np.round(rng.gamma(1.5, voice[idx] * 0.8 * e / 1.5), 1)
        nsms = rng.poisson(sms[idx] * e)
        mb = np.round(rng.gamma(0.8, data[idx] * s * e / 0.8), 1)
        bad = world.bad_day[prov[idx], t]
        dropped = rng.binomial(
            calls, np.minimum(world.drop_rate[prov[idx]] * np.where(bad, 6.0, 1.0), 0.5)
        )
        want = (vmin * P.VOICE_VND_PER_MIN + nsms * P.SMS_VND + mb * P.DATA_VND_PER_MB).astype(
            np.int64
        )
        # Prepaid: top up when the balance will not cover today, less often while leaving.
        pre = ~postpaid[idx]
        short = pre & (balance[idx] < want)
        topup = short & (rng.random(m) < 0.9 * np.clip(ramp[idx], 0.05, 1.0))
        if topup.any():
            who = idx[topup]
            denoms = [personas[k].topups_vnd for k in pi[who]]
            amount = np.array([d[rng.integers(len(d))] for d in denoms], dtype=np.int64)
            balance[who] += amount - loan[who]
            loan[who] = 0
            chan = rng.choice(P.RECHARGE_CHANNELS, len(who), p=[0.45, 0.35, 0.2])
            rows["recharges"].append(
                (ids[who], _timestamps(day0, np.full(len(who), t), rng), amount, chan)
            )
            last_billable[who] = t
        borrow = short & ~topup & (pi[idx] == 1) & (loan[idx] == 0) & (rng.random(m) < 0.3)
        if borrow.any():
            who = idx[borrow]
            balance[who] += P.AIRTIME_LOAN_VND
            loan[who] = P.AIRTIME_LOAN_VND + 1_000
            amount = np.full(len(who), P.AIRTIME_LOAN_VND, dtype=np.int64)
            chan = np.full(len(who), "airtime_loan", dtype=object)
            rows["recharges"].append(
                (ids[who], _timestamps(day0, np.full(len(who), t), rng), amount, chan)
            )
        revenue = np.where(pre, np.minimum(want, np.maximum(balance[idx], 0)), want)
        frac = np.where(want > 0, revenue / np.maximum(want, 1), 1.0)
        vmin, nsms, mb = (
            np.round(vmin * frac, 1),
            np.round(nsms * frac).astype(np.int64),
            np.round(mb * frac, 1),
        )
        calls = np.round(calls * frac).astype(np.int64)
        dropped = np.minimum(dropped, calls)
        balance[idx] -= np.where(pre, revenue, 0)
        month_rev[idx] += revenue
        last_billable[idx[revenue > 0]] = t
        rows["usage"].append(
            (
                ids[idx],
                np.full(m, t),
                calls,
                vmin,
                vin,
                nsms,
                mb,
                rng.random(m) < 0.004,
                revenue,
                dropped,
            )
        )
        # Dissatisfaction: dropped calls and unresolved complaints, fading over weeks.
        dissat *= 0.95
        dissat[idx] += 0.35 * dropped
        p_care = 0.0012 + np.where(alive, 0.0, -1.0)
        p_care[idx] += 0.03 * bad + 0.08 * np.minimum(dropped, 3)
        p_care += 0.02 * leaving
        care = np.flatnonzero(rng.random(n) < p_care)
        if len(care):
            cat = np.where(
                leaving[care] & (rng.random(len(care)) < 0.45),
                "port_out_inquiry",
                np.where(
                    dissat[care] > 0.5,
                    "network",
                    rng.choice(["billing", "package", "device", "other"], len(care)),
                ),
            )
            resolved = rng.random(len(care)) < np.where(cat == "network", 0.5, 0.75)
            dissat[care[~resolved]] += 0.8
            rows["care"].append(
                (
                    ids[care],
                    _timestamps(day0, np.full(len(care), t), rng),
                    rng.choice(P.CARE_CHANNELS, len(care), p=[0.5, 0.2, 0.2, 0.1]),
                    cat,
                    resolved,
                )
            )
        # Lifecycle events: plan changes, data packages.
        chg = np.flatnonzero(alive & (rng.random(n) < 0.0006))
        if len(chg):
            new_plan = np.array(
                [rng.choice(personas[k].plans + ("PRE_DATA",)) for k in pi[chg]], dtype=object
            )
            new_plan[postpaid[chg]] = rng.choice(P.POSTPAID_PLANS, int(postpaid[chg].sum()))
            rows["events"].append(
                (
                    ids[chg],
                    _timestamps(day0, np.full(len(chg), t), rng),
                    np.full(len(chg), "plan_change", dtype=object),
                    new_plan,
                )
            )
        pkg = np.flatnonzero(alive & (pi == 0) & (rng.random(n) < 0.033 * ramp))
        if len(pkg):
            rows["events"].append(
                (
                    ids[pkg],
                    _timestamps(day0, np.full(len(pkg), t), rng),
                    np.full(len(pkg), "package_purchase", dtype=object),
                    np.full(len(pkg), "DATA_70K", dtype=object),
                )
            )
        # Retention campaign on the 10th: operator targets, then randomises treatment.
        if today.day == 10:
            _run_campaign(
                config,
                rng,
                t,
                today,
                alive,
                dissat,
                eng,
                ids,
                uplift_type,
                leave_start,
                exit_day,
                offer_mult,
                offer_until,
                rows,
            )
        # Exits happen at the end of the lead time.
        gone = np.flatnonzero(alive & (exit_day == t + 1))
        if len(gone):
            u = rng.random(len(gone))
            post = postpaid[gone]
            kind = np.where(
                post, np.where(u < 0.4, 2, 1), np.where(u < 0.12, 2, np.where(u < 0.2, 1, 3))
            )
            exit_kind[gone] = kind
            loud = gone[kind != 3]
            terminated[loud] = True
            rows["events"].append(
                (
                    ids[loud],
                    _timestamps(day0, np.full(len(loud), t), rng),
                    np.where(exit_kind[loud] == 2, "port_out", "termination").astype(object),
                    np.where(exit_kind[loud] == 2, "competitor", "customer_request").astype(object),
                )
            )
        # The operator reclaims SIMs with no billable activity for 60 days.
        idle = np.flatnonzero(
            (act_offset <= t)
            & ~terminated
            & ~postpaid
            & (t - last_billable >= INACTIVITY_TERMINATION_DAYS)
        )
        if len(idle):
            terminated[idle] = True
            rows["events"].append(
                (
                    ids[idle],
                    _timestamps(day0, np.full(len(idle), t), rng),
                    np.full(len(idle), "termination", dtype=object),
                    np.full(len(idle), "inactivity_60d", dtype=object),
                )
            )
        if (today + timedelta(days=1)).day == 1:
            _bill_month(rng, today, postpaid, leaving, month_rev, ids, rows)
            month_rev[:] = 0

    return _frames(config, rng, ids, pi, postpaid, prov, act_offset, plans, rows)


def _run_campaign(
    config,
    rng,
    t,
    today,
    alive,
    dissat,
    eng,
    ids,
    uplift_type,
    leave_start,
    exit_day,
    offer_mult,
    offer_until,
    rows,
) -> None:
    live = np.flatnonzero(alive)
    k = int(len(live) * config.campaign_share)
    if k == 0:
        return
    risk = dissat[live] - np.log(eng[live]) + rng.gumbel(0.0, 1.0, len(live))
    target = live[np.argsort(-risk)[:k]]
    treated = rng.random(k) >= config.control_share
    offer_idx = rng.integers(0, len(P.OFFERS), k)
    effect = np.array([P.OFFERS[o].effect for o in offer_idx])
    cost = np.array([P.OFFERS[o].cost_vnd for o in offer_idx], dtype=np.int64)
    ut = uplift_type[target]
    accept_p = np.array([0.65, 0.5, 0.15, 0.05])[ut]
    accepted = treated & (rng.random(k) < accept_p)
    pers = treated & (ut == 0)
    dog = treated & (ut == 3)
    offer_mult[target[pers]] = effect[pers]
    offer_mult[target[dog]] = 1.8
    offer_until[target[pers | dog]] = t + 60
    # A persuadable subscriber already on the way out may be won back.
    win = pers & (leave_start[target] <= t) & (rng.random(k) > effect)
    leave_start[target[win]] = np.iinfo(np.int64).max
    exit_day[target[win]] = np.iinfo(np.int64).max
    rows["campaigns"].append(
        (
            ids[target],
            np.full(k, f"RET-{today:%Y%m}", dtype=object),
            _timestamps(np.datetime64(today, "D"), np.zeros(k, dtype=int), rng),
            np.array([P.OFFERS[o].offer_id for o in offer_idx], dtype=object),
            np.where(treated, "treatment", "control").astype(object),
            accepted,
            np.where(accepted, cost, 0),
        )
    )


def _bill_month(rng, today, postpaid, leaving, month_rev, ids, rows) -> None:
    who = np.flatnonzero(postpaid & (month_rev > 0))
    if not len(who):
        return
    issue = np.datetime64(today, "D") + 1
    due = issue + 20
    late = rng.random(len(who)) < 0.08 + 0.5 * leaving[who]
    unpaid = leaving[who] & (rng.random(len(who)) < 0.4)
    paid = np.where(
        late, due + rng.integers(1, 40, len(who)), issue + rng.integers(1, 20, len(who))
    )
    paid = np.where(unpaid, np.datetime64("NaT"), paid.astype("datetime64[D]"))
    month = np.datetime64(today.replace(day=1), "D")
    rows["invoices"].append(
        (
            ids[who],
            np.full(len(who), month),
            np.full(len(who), issue),
            month_rev[who].copy(),
            np.full(len(who), due),
            paid,
        )
    )


def _frames(
    config, rng, ids, pi, postpaid, prov, act_offset, plans, rows
) -> dict[str, pd.DataFrame]:
    n = len(ids)
    day0 = np.datetime64(config.start, "D")
    names = np.array([p for p, _, _ in P.PROVINCES], dtype=object)
    regions = np.array([r for _, r, _ in P.PROVINCES], dtype=object)
    activation = day0 + act_offset.astype("timedelta64[D]")
    subscribers = pd.DataFrame(
        {
            "subscriber_id": ids,
            "activation_date": activation,
            "contract_type": np.where(postpaid, "postpaid", "prepaid"),
            "tariff_plan": plans,
            "province": names[prov],
            "region": regions[prov],
            "customer_type": np.where(pi == 3, "business", "individual"),
            "device_type": [rng.choice(P.PERSONAS[k].devices) for k in pi],
            "age_band": rng.choice(P.AGE_BANDS, n, p=[0.18, 0.3, 0.24, 0.16, 0.12]),
            "acquisition_channel": rng.choice(P.ACQUISITION_CHANNELS, n, p=[0.35, 0.4, 0.15, 0.1]),
        }
    )

    def cat(key, cols):
        parts = rows[key]
        return pd.DataFrame(
            {c: np.concatenate([p[i] for p in parts]) if parts else [] for i, c in enumerate(cols)}
        )

    usage = cat(
        "usage",
        [
            "subscriber_id",
            "day",
            "voice_out_calls",
            "voice_out_min",
            "voice_in_min",
            "sms_out",
            "data_mb",
            "roaming",
            "revenue_vnd",
            "dropped_calls",
        ],
    )
    usage["date"] = day0 + usage.pop("day").to_numpy(dtype=np.int64).astype("timedelta64[D]")
    activation_events = pd.DataFrame(
        {
            "subscriber_id": ids,
            "ts": _timestamps(day0, act_offset, rng),
            "event": "activation",
            "detail": plans,
        }
    )
    events = pd.concat(
        [activation_events, cat("events", ["subscriber_id", "ts", "event", "detail"])]
    )
    return {
        "subscribers": subscribers,
        "usage_daily": usage.sort_values(["subscriber_id", "date"], kind="stable"),
        "recharges": cat("recharges", ["subscriber_id", "ts", "amount_vnd", "channel"]).sort_values(
            ["subscriber_id", "ts"], kind="stable"
        ),
        "invoices": cat(
            "invoices",
            ["subscriber_id", "bill_month", "issue_date", "amount_vnd", "due_date", "paid_date"],
        ),
        "care_contacts": cat("care", ["subscriber_id", "ts", "channel", "category", "resolved"]),
        "subscription_events": events.sort_values(["subscriber_id", "ts"], kind="stable"),
        "campaigns": cat(
            "campaigns",
            [
                "subscriber_id",
                "campaign_id",
                "sent_ts",
                "offer_id",
                "group",
                "accepted",
                "cost_vnd",
            ],
        ),
    }
