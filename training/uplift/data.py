"""Campaign history as an uplift training set: each campaign row joined to the subscriber's
behaviour vector as of the day the campaign was sent, and the churn label from that day;
beside it, the untargeted eligible subscribers of the same days (the no-offer baseline)."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pandas as pd

from features.snapshot import SnapshotConfig, build_snapshot, connect

log = logging.getLogger(__name__)


def campaign_history(raw: Path, horizon_days: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(campaigns, base) for the campaign days whose label window is covered by the data.

    `campaigns`: rows of the campaigns table with the features as of the send day,
    `offer_id`, `treated`, `accepted` and `churned` (within `horizon_days`); `base`: the
    eligible subscribers of the same days whom no campaign targeted, with `churned`. Both
    carry `sent_day`."""
    con = connect(raw)
    rows = con.execute(
        'SELECT subscriber_id, campaign_id, CAST(sent_ts AS DATE) AS sent_day, offer_id, "group", '
        "coalesce(accepted, false) AS accepted "
        "FROM campaigns ORDER BY sent_day, campaign_id, subscriber_id"
    ).df()
    if rows.empty:
        raise ValueError("campaigns: no rows; uplift needs past campaigns with control groups")
    last = con.execute("SELECT max(date) FROM usage_daily").fetchone()[0]
    config = SnapshotConfig(churn_horizon_days=horizon_days, value_horizon_days=horizon_days)
    parts, bases = [], []
    for day, group in rows.groupby("sent_day", sort=True):
        day = pd.Timestamp(day).date()
        if day + timedelta(days=horizon_days - 1) > last:
            log.info("campaigns sent %s: label window not covered yet, left out", day)
            continue
        snap = build_snapshot(con, day, config, labels=True).copy()  # one block, not many
        joined = group.merge(snap, on="subscriber_id", how="inner")
        if len(joined) < len(group):
            log.info(
                "campaigns sent %s: %d of %d targeted subscribers not eligible, left out",
                day,
                len(group) - len(joined),
                len(group),
            )
        parts.append(joined)
        base = snap[~snap["subscriber_id"].isin(group["subscriber_id"])]
        bases.append(base.assign(sent_day=pd.Timestamp(day)))
    if not parts:
        raise ValueError("campaigns: no campaign has a covered label window")
    out = pd.concat(parts, ignore_index=True).copy()
    out["treated"] = out["group"].eq("treatment")
    out["accepted"] = out["accepted"].astype(bool) & out["treated"]
    out["churned"] = out[config.churn_label].astype(float)
    base = pd.concat(bases, ignore_index=True).copy()
    base["churned"] = base[config.churn_label].astype(float)
    return out, base


def campaign_set(raw: Path, horizon_days: int = 30) -> pd.DataFrame:
    """The campaign rows of `campaign_history`."""
    return campaign_history(raw, horizon_days)[0]


def acceptance_rates(campaigns: pd.DataFrame) -> dict[str, float]:
    """Per offer, the share of its treated campaign rows that accepted it (the share of the
    offer's cost the operator pays on average: `UpliftSpec.acceptance`); empty without
    an `accepted` column."""
    if "accepted" not in campaigns.columns:
        return {}
    treated = campaigns[campaigns["treated"].astype(bool)]
    rates = treated.groupby("offer_id")["accepted"].mean()
    return {str(o): float(r) for o, r in rates.items()}
