"""What past campaigns earned, measured from their control groups (no model, no truth), and
the control group the next campaign needs to see an effect of that size.

For every campaign of the `campaigns` table whose outcome window [sent day, sent day + H)
ends by `as_of`: retention (the churn label's definition, `features.labels`, read from the
sent day) and revenue in the window, treatment against control, per offer (the offer's
treated rows against the control rows planned for the same offer) and overall. The
realised incremental retention and revenue are the differences of means times the
treated count; net gain is incremental revenue minus the treated rows' cost; intervals
are normal (Wald for retention, Welch for revenue) at 95%.

The power calculation is the two-sample normal one (e.g. Chow, Shao and Wang, "Sample
Size Calculations in Clinical Research", ch. 3): with n_t treated, the control size n_c
for which a difference `effect` with outcome standard deviation `sd` is detected at a
two-sided `alpha` with `power` solves sd^2 (1/n_t + 1/n_c) = (effect / (z_a + z_b))^2.
Written here because it is two lines and serving does not depend on statsmodels.

`off_policy_value` asks what another plan would have earned on a past campaign's rows:
the Horvitz-Thompson (inverse-propensity) estimate of revenue net of cost per row, from the
rows whose logged action (control, or treated with offer o) is the one the plan chooses,
weighted by the inverse of that action's share of the campaign (Dudik, Langford and Li
2011, the IPS estimator). It is unbiased when the logged actions were randomised among the
rows; when offers were chosen by a model rather than at random, only the treated-versus-
control part is randomised, and the estimate is of the plan restricted to that choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from features.labels import labels_sql
from features.query import SnapshotConfig
from features.snapshot import connect, present_tables

MEASURED_FILE = "campaign_gain.csv"  # written by the batch job, shown by the report
ALL_OFFERS = "all"
Z95 = NormalDist().inv_cdf(0.975)


def campaign_outcomes(raw: Path, as_of: date, horizon_days: int = 30) -> pd.DataFrame:
    """One row per campaign row whose window ends by `as_of`: campaign_id, sent_day,
    subscriber_id, offer_id, treated, cost_vnd, retained (0/1) and revenue_vnd."""
    con = connect(raw)
    columns = ["campaign_id", "sent_day", "subscriber_id", "offer_id", "treated", "cost_vnd"]
    if "campaigns" not in present_tables(con):
        return pd.DataFrame(columns=[*columns, "retained", "revenue_vnd"])
    rows = con.execute(
        'SELECT campaign_id, CAST(sent_ts AS DATE) AS sent_day, subscriber_id, offer_id, "group", '
        "coalesce(cost_vnd, 0) AS cost_vnd FROM campaigns "
        "WHERE CAST(sent_ts AS DATE) <= ? ORDER BY sent_day, campaign_id, subscriber_id",
        [as_of - timedelta(days=horizon_days)],
    ).df()
    if rows.empty:
        return pd.DataFrame(columns=[*columns, "retained", "revenue_vnd"])
    config = SnapshotConfig(churn_horizon_days=horizon_days, value_horizon_days=horizon_days)
    tables = present_tables(con)
    parts = []
    for day, group in rows.groupby("sent_day", sort=True):
        day = pd.Timestamp(day).date()
        con.register("_campaign_ids", group[["subscriber_id"]].drop_duplicates())
        labels = con.execute(
            f"SELECT l.* FROM ({labels_sql(day, config, tables=tables)}) l "
            "JOIN _campaign_ids USING (subscriber_id)"
        ).df()
        con.unregister("_campaign_ids")
        parts.append(group.merge(labels, on="subscriber_id", how="inner"))
    out = pd.concat(parts, ignore_index=True)
    out["treated"] = out["group"].eq("treatment")
    out["retained"] = 1.0 - out[config.churn_label].astype(float)
    out["revenue_vnd"] = out[config.value_label].astype(float)
    out["sent_day"] = pd.to_datetime(out["sent_day"]).dt.date
    return out[[*columns, "retained", "revenue_vnd"]]


def _diff(t: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """Difference of means and its standard error (Welch)."""
    if len(t) < 2 or len(c) < 2:
        return float("nan"), float("nan")
    return float(t.mean() - c.mean()), float(
        np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
    )


def _measure(rows: pd.DataFrame) -> dict:
    t, c = rows[rows["treated"]], rows[~rows["treated"]]
    n_t = len(t)
    ret, ret_se = _diff(t["retained"].to_numpy(), c["retained"].to_numpy())
    rev, rev_se = _diff(t["revenue_vnd"].to_numpy(), c["revenue_vnd"].to_numpy())
    cost = float(t["cost_vnd"].sum())
    return {
        "treated": n_t,
        "control": len(c),
        "retention_treated": float(t["retained"].mean()) if n_t else float("nan"),
        "retention_control": float(c["retained"].mean()) if len(c) else float("nan"),
        "retention_uplift": ret,
        "retention_uplift_low": ret - Z95 * ret_se,
        "retention_uplift_high": ret + Z95 * ret_se,
        "retention_sd": float(rows["retained"].std(ddof=1)) if len(rows) > 1 else float("nan"),
        "incremental_retained": ret * n_t,
        "incremental_revenue_vnd": rev * n_t,
        "cost_vnd": cost,
        "net_gain_vnd": rev * n_t - cost,
        "net_gain_low_vnd": (rev - Z95 * rev_se) * n_t - cost,
        "net_gain_high_vnd": (rev + Z95 * rev_se) * n_t - cost,
    }


def measure(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per campaign, per offer and overall (`offer_id` "all"): the realised gain with its
    interval (see the module docstring). Campaigns without a control group are left out."""
    out = []
    for (campaign, day), rows in outcomes.groupby(["campaign_id", "sent_day"], sort=True):
        if rows["treated"].all() or not rows["treated"].any():
            continue
        for offer, part in rows.groupby("offer_id", sort=True):
            out.append(
                {"campaign_id": campaign, "sent_day": day, "offer_id": offer} | _measure(part)
            )
        out.append(
            {"campaign_id": campaign, "sent_day": day, "offer_id": ALL_OFFERS} | _measure(rows)
        )
    return pd.DataFrame(out)


def control_needed(sd: float, effect: float, treated: int, alpha=0.05, power=0.8) -> int | None:
    """Control rows needed beside `treated` ones to detect `effect` (see the module
    docstring); None when no control size is enough (the treatment group is too small)."""
    if not (sd > 0 and abs(effect) > 0 and treated > 0):
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    room = (abs(effect) / z) ** 2 / sd**2 - 1.0 / treated
    return math.ceil(1.0 / room) if room > 0 else None


def campaign_size_needed(sd: float, effect: float, share: float, alpha=0.05, power=0.8) -> int:
    """Campaign size (treated + control) needed with a control `share` to detect `effect`."""
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return math.ceil((sd * z / abs(effect)) ** 2 * (1 / share + 1 / (1 - share)))


NONE = ""  # the "no offer" action of a plan


def off_policy_value(rows: pd.DataFrame, chosen) -> dict[str, float]:
    """The IPS estimate (module docstring) of revenue net of cost per row had each row of
    one campaign (`campaign_outcomes` rows) been given `chosen` (an offer id, or NONE),
    with its standard error, beside the campaign as run and sending nothing."""
    t = rows["treated"].to_numpy(dtype=bool)
    logged = np.where(t, rows["offer_id"].to_numpy(dtype=object), NONE)
    share = pd.Series(logged).value_counts(normalize=True)
    p = share.reindex(logged).to_numpy()
    value = rows["revenue_vnd"].to_numpy(dtype=float) - np.where(t, rows["cost_vnd"], 0.0)

    def ips(action) -> tuple[float, float]:
        w = (np.asarray(action, dtype=object) == logged) * value / p
        return float(w.mean()), float(w.std(ddof=1) / np.sqrt(len(w)))

    plan, plan_se = ips(chosen)
    nothing, nothing_se = ips(np.full(len(rows), NONE, dtype=object))
    return {
        "rows": len(rows),
        "plan_value_vnd": plan,
        "plan_value_se_vnd": plan_se,
        "as_run_value_vnd": float(value.mean()),
        "no_offer_value_vnd": nothing,
        "plan_gain_vs_no_offer_vnd": (plan - nothing) * len(rows),
        "plan_contacts": int((np.asarray(chosen, dtype=object) != NONE).sum()),
    }


@dataclass(frozen=True)
class PastCampaigns:
    """The measured table and what it asks of the next campaign."""

    table: pd.DataFrame
    min_control: int  # control rows the next campaign keeps
    campaign_size_needed: int | None  # at the control share, to see the last effect
    last_rows: pd.DataFrame | None = None  # the latest measured campaign's outcome rows
    plan_on_last: dict | None = None  # `off_policy_value` of the current plan on it

    @property
    def last(self) -> pd.Series | None:
        """The latest campaign's overall row."""
        rows = self.table[self.table["offer_id"] == ALL_OFFERS] if len(self.table) else None
        return None if rows is None or rows.empty else rows.iloc[-1]


def past_campaigns(
    raw: Path, as_of: date, control_share: float, horizon_days: int = 30, floor: int = 1
) -> PastCampaigns:
    """Measure the campaigns whose window ends by `as_of`, and size the next control group
    to see the latest campaign's retention effect with as many treated rows as it had
    (at least `floor` rows; when no control size is enough, as many as treated rows)."""
    outcomes = campaign_outcomes(raw, as_of, horizon_days)
    table = measure(outcomes)
    result = PastCampaigns(table, floor, None)
    last = result.last
    if last is None:
        return result
    rows = outcomes[outcomes["campaign_id"] == last["campaign_id"]].reset_index(drop=True)
    if not control_share > 0:
        return PastCampaigns(table, floor, None, rows)
    sd, effect, treated = last["retention_sd"], last["retention_uplift"], int(last["treated"])
    needed = control_needed(sd, effect, treated)
    size = campaign_size_needed(sd, effect, control_share) if sd > 0 and effect else None
    return PastCampaigns(table, max(floor, treated if needed is None else needed), size, rows)
