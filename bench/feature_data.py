"""A fast writer of large raw tables for `bench.features`: the data contract, not the story.

The synthetic operator in `features.synthetic.generator` simulates behaviour day by day, which takes
many minutes at a million subscribers. The feature benchmark needs the contract's tables at
that scale, not the churn story, so this writer draws each table directly with numpy, block
by block of subscribers, and writes Parquet files ordered by (subscriber_id, time): the layout
an operator's export job should produce, and the one the snapshot queries are tuned for.
The data end the day before `AS_OF`; the folder is written once and reused.
"""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract.schema import CARE_CATEGORIES, TABLES
from features.contract.sources import check_tables, write_table
from features.synthetic import personas as P

log = logging.getLogger(__name__)

AS_OF = date(2025, 4, 1)
HISTORY_DAYS = 90
PLANS = ("PRE_BASIC", "PRE_DATA", "PRE_YOUTH", "POST_S", "POST_M", "POST_L")
DEVICES = ("feature", "smartphone_low", "smartphone_mid", "smartphone_high")
RECHARGE_CHANNELS = ("scratch_card", "e_wallet", "bank_app", "airtime_loan")


def _ts(day0: np.datetime64, days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    secs = rng.integers(6 * 3600, 23 * 3600, len(days)).astype("timedelta64[s]")
    return (day0 + days.astype("timedelta64[D]")).astype("datetime64[s]") + secs


def _block(ids: np.ndarray, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    n, start = len(ids), AS_OF - timedelta(days=HISTORY_DAYS)
    day0 = np.datetime64(start, "D")
    provinces = np.array([p for p, _, _ in P.PROVINCES])
    regions = np.array([r for _, r, _ in P.PROVINCES])
    prov = rng.integers(0, len(provinces), n)
    postpaid = rng.random(n) < 0.1
    activation = day0 - rng.integers(-60, 3000, n).astype("timedelta64[D]")
    subs = pd.DataFrame(
        {
            "subscriber_id": ids,
            "activation_date": activation,
            "contract_type": np.where(postpaid, "postpaid", "prepaid"),
            "tariff_plan": np.where(postpaid, rng.choice(PLANS[3:], n), rng.choice(PLANS[:3], n)),
            "province": provinces[prov],
            "region": regions[prov],
            "customer_type": np.where(rng.random(n) < 0.05, "business", "individual"),
            "device_type": rng.choice(DEVICES, n),
            "age_band": rng.choice(P.AGE_BANDS, n),
            "acquisition_channel": rng.choice(P.ACQUISITION_CHANNELS, n),
        }
    )
    # Usage: each subscriber is active on a day with their own probability (mean ~0.78).
    p_active = rng.beta(6.0, 1.7, n)
    act_day = (activation - day0).astype(int)
    active = rng.random((n, HISTORY_DAYS)) < p_active[:, None]
    active &= np.arange(HISTORY_DAYS)[None, :] >= act_day[:, None]
    who, day = np.nonzero(active)  # row-major: ordered by subscriber, then day
    m = len(who)
    spend = rng.lognormal(0.0, 0.7, n)[who]
    calls = rng.poisson(3.0 * spend)
    data_mb = rng.gamma(1.2, 250.0, m) * spend
    usage = pd.DataFrame(
        {
            "subscriber_id": ids[who],
            "date": day0 + day.astype("timedelta64[D]"),
            "voice_out_calls": calls,
            "voice_out_min": np.round(calls * rng.gamma(2.0, 1.2, m), 2),
            "voice_in_min": np.round(rng.gamma(1.5, 3.0, m), 2),
            "sms_out": rng.poisson(1.5, m),
            "data_mb": np.round(data_mb, 2),
            "roaming": rng.random(m) < 0.003,
            "revenue_vnd": (rng.random(m) < 0.85) * np.round(spend * rng.gamma(2.0, 2500.0, m)),
            "dropped_calls": rng.binomial(calls, 0.02),
        }
    ).astype({"revenue_vnd": "int64"})
    # Recharges: about four a month each, prepaid and postpaid add-ons alike.
    k = rng.poisson(12 * p_active)
    who = np.repeat(np.arange(n), k)
    days = np.sort(rng.integers(0, HISTORY_DAYS, len(who)) + who * 1000) - who * 1000
    recharges = pd.DataFrame(
        {
            "subscriber_id": ids[who],
            "ts": _ts(day0, days, rng),
            "amount_vnd": rng.choice([10_000, 20_000, 50_000, 100_000, 200_000], len(who)),
            "channel": rng.choice(RECHARGE_CHANNELS, len(who), p=[0.4, 0.3, 0.2, 0.1]),
        }
    )
    post = np.nonzero(postpaid)[0]
    months = [date(AS_OF.year, AS_OF.month, 1) - timedelta(days=d) for d in (85, 55, 25)]
    inv = [
        pd.DataFrame(
            {
                "subscriber_id": ids[post],
                "bill_month": np.datetime64(b.replace(day=1), "D"),
                "issue_date": np.datetime64(b.replace(day=1) + timedelta(days=31), "D"),
                "amount_vnd": rng.integers(100, 800, len(post)) * 1000,
                "due_date": np.datetime64(b.replace(day=1) + timedelta(days=46), "D"),
                "paid_date": np.datetime64(b.replace(day=1) + timedelta(days=36), "D")
                + rng.integers(0, 20, len(post)).astype("timedelta64[D]"),
            }
        )
        for b in months
    ]
    invoices = pd.concat(inv).sort_values(["subscriber_id", "bill_month"], kind="stable")
    invoices = invoices[invoices["issue_date"] < np.datetime64(AS_OF)]
    k = rng.poisson(0.3, n)
    who = np.repeat(np.arange(n), k)
    care = pd.DataFrame(
        {
            "subscriber_id": ids[who],
            "ts": _ts(day0, rng.integers(0, HISTORY_DAYS, len(who)), rng),
            "channel": rng.choice(("call_centre", "store", "app", "social"), len(who)),
            "category": rng.choice(CARE_CATEGORIES, len(who)),
            "resolved": rng.random(len(who)) < 0.8,
        }
    ).sort_values(["subscriber_id", "ts"], kind="stable")
    k = rng.poisson(2.0, n)
    who = np.repeat(np.arange(n), k)
    kinds = rng.choice(
        ("plan_change", "package_purchase", "suspension", "reactivation"),
        len(who),
        p=[0.15, 0.75, 0.05, 0.05],
    )
    events = pd.DataFrame(
        {
            "subscriber_id": ids[who],
            "ts": _ts(day0, rng.integers(0, HISTORY_DAYS, len(who)), rng),
            "event": kinds,
            "detail": np.where(kinds == "plan_change", rng.choice(PLANS[:3], len(who)), "PKG"),
        }
    ).sort_values(["subscriber_id", "ts"], kind="stable")
    k = (rng.random(n) < 0.15).astype(int)
    who = np.repeat(np.arange(n), k)
    group = np.where(rng.random(len(who)) < 0.2, "control", "treatment")
    campaigns = pd.DataFrame(
        {
            "subscriber_id": ids[who],
            "campaign_id": "CMP-2025-03",
            "sent_ts": _ts(day0, np.full(len(who), 70), rng),
            "offer_id": rng.choice(("DATA_5GB", "BONUS_20", "VOICE_100"), len(who)),
            "group": group,
            "accepted": (group == "treatment") & (rng.random(len(who)) < 0.2),
            "cost_vnd": 20_000,
        }
    )
    return {
        "subscribers": subs,
        "usage_daily": usage,
        "recharges": recharges,
        "invoices": invoices,
        "care_contacts": care,
        "subscription_events": events,
        "campaigns": campaigns,
    }


def ensure_bench_data(
    root: Path, subscribers: int = 1_000_000, block: int = 100_000, seed: int = 4
) -> Path:
    """Write the bench operator under `root` unless a complete copy is already there."""
    root = Path(root)
    done = root / "manifest.json"
    if done.exists() and json.loads(done.read_text()).get("subscribers") == subscribers:
        return root
    for i, lo in enumerate(range(0, subscribers, block)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, i]))
        ids = np.arange(lo + 1, min(lo + block, subscribers) + 1, dtype=np.int64)
        for name, frame in _block(ids, rng).items():
            write_table(frame, TABLES[name], root / name / f"part-{i:05d}.parquet")
        log.info("bench data: subscribers %d-%d written", ids[0], ids[-1])
    check_tables(root)
    done.write_text(json.dumps({"subscribers": subscribers, "as_of": AS_OF.isoformat()}))
    return root
