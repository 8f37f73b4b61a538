"""The batch job's view of past campaigns: measured from their control groups before the
new campaign is planned (its control group is sized from them), written beside the scores
(`campaign_gain.csv`, shown by the report) and summarised in one line."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract.sources import replacing
from features.settings import Settings
from features.snapshot import build_snapshot
from serving.campaign_gain import (
    MEASURED_FILE,
    NONE,
    PastCampaigns,
    off_policy_value,
    past_campaigns,
)
from serving.catalogue import Catalogue
from serving.decision import best_of
from serving.exploration import Exploration, Playbook
from serving.registry import Models
from serving.scoring import OFFER_GAINS, score_columns

log = logging.getLogger(__name__)


def measure_past(
    raw: Path | None, out: Path, as_of: date, control_share: float, models: Models | None = None
) -> PastCampaigns | None:
    """Past campaigns of the raw tables measured as of `as_of`, written to `out`, with the
    off-policy value of the pinned models' plan on the latest one (`plan_on_last`); None
    when there are no raw tables to read them from."""
    if raw is None or not Path(raw).is_dir():
        return None
    past = past_campaigns(raw, as_of, control_share)
    if models is not None and models.uplift is not None and past.last_rows is not None:
        past = replace(past, plan_on_last=plan_on_campaign(raw, past.last_rows, models))
    out.mkdir(parents=True, exist_ok=True)
    with replacing(out / MEASURED_FILE) as tmp:
        past.table.to_csv(tmp, index=False)
    return past


def plan_on_campaign(raw: Path, rows: pd.DataFrame, models: Models) -> dict[str, float]:
    """What the pinned models' best offers (no budget) would have earned on a past
    campaign's rows: scored as of its send day, valued off-policy (`off_policy_value`)."""
    day = rows["sent_day"].iloc[0]
    vectors = build_snapshot(raw, day)
    vectors = vectors[vectors["subscriber_id"].isin(rows["subscriber_id"])]
    answer = score_columns(
        {c: vectors[c].to_numpy() for c in vectors.columns}, models, reasons=False
    )
    offers = [o.offer_id for o in models.catalogue.offers]
    best, _ = best_of(np.asarray(answer[OFFER_GAINS], dtype=float), offers)
    chosen = pd.Series([b or NONE for b in best], index=vectors["subscriber_id"].to_numpy())
    return off_policy_value(rows, chosen.reindex(rows["subscriber_id"]).fillna(NONE).to_numpy())


def cold_start(
    models: Models, settings: Settings, vectors: Path, playbook: Path | None
) -> Exploration | None:
    """The exploration campaign's inputs when no uplift model is pinned, else None."""
    if models.uplift is not None:
        return None
    catalogue = Catalogue.from_toml(settings.offers)
    return Exploration(catalogue, Playbook.from_toml(playbook, catalogue), vectors)


def measured_gain_line(past: PastCampaigns | None) -> list[str]:
    """The summary's lines on the last measured campaign and the control it asks for."""
    last = None if past is None else past.last
    if last is None:
        return ["  measured gain: no past campaign with a control group and a complete window"]
    day = pd.Timestamp(last["sent_day"]).date()
    size = (
        f"; seeing an effect that size needs a campaign of {past.campaign_size_needed:,}"
        if past.campaign_size_needed
        else ""
    )
    return [
        f"  measured gain of campaign {last['campaign_id']} ({day}, {int(last['treated']):,} "
        f"treated, {int(last['control']):,} control): retention "
        f"{last['retention_uplift']:+.3f} (95% CI {last['retention_uplift_low']:+.3f} to "
        f"{last['retention_uplift_high']:+.3f}); net gain {last['net_gain_vnd']:,.0f} VND "
        f"(95% CI {last['net_gain_low_vnd']:,.0f} to {last['net_gain_high_vnd']:,.0f})",
        f"  control group of this campaign: at least {past.min_control:,} (power 0.8 at the "
        f"last effect; at most half the campaign){size}",
    ] + _plan_line(past.plan_on_last)


def _plan_line(v: dict | None) -> list[str]:
    if not v:
        return []
    return [
        f"  the current models' plan on that campaign (inverse propensity, {v['plan_contacts']:,} "
        f"of {v['rows']:,} contacted): {v['plan_value_vnd']:,.0f} +- "
        f"{v['plan_value_se_vnd']:,.0f} VND per row, against {v['as_run_value_vnd']:,.0f} as run "
        f"and {v['no_offer_value_vnd']:,.0f} with no offer"
    ]
