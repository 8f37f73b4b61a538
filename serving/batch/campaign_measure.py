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
from serving.batch.report_campaign import measured_figures
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
from serving.language import Language, language
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


def measured_gain_line(past: PastCampaigns | None, lang: Language | None = None) -> list[str]:
    """The summary's lines on the last measured campaign and the control it asks for, in
    `lang` (English by default)."""
    lang = lang or language()
    _, num = lang.gettext, lang.number
    last = None if past is None else past.last
    if last is None:
        return [
            "  " + _("measured gain: no past campaign with a control group and a complete window")
        ]

    size = (
        _("; seeing an effect that size needs a campaign of {size}").format(
            size=num(past.campaign_size_needed)
        )
        if past.campaign_size_needed
        else ""
    )
    return [
        "  "
        + _(
            "measured gain of campaign {campaign} ({day}, {treated} treated, {control} control): "
            "retention {uplift} (95% CI {low} to {high}); net gain {gain} (95% CI {gain_low} "
            "to {gain_high})"
        ).format(
            campaign=last["campaign_id"],
            day=lang.date(pd.Timestamp(last["sent_day"]).date()),
            treated=num(last["treated"]),
            control=num(last["control"]),
            **measured_figures(last, lang),
        ),
        "  "
        + _(
            "control group of this campaign: at least {control} (power 0.8 at the last effect; "
            "in an uplift campaign, at most half of it){size}"
        ).format(control=num(past.min_control), size=size),
    ] + _plan_line(past.plan_on_last, lang)


def _plan_line(v: dict | None, lang: Language) -> list[str]:
    if not v:
        return []
    return [
        "  "
        + lang.gettext(
            "the current models' plan on that campaign (inverse propensity, {contacts} of "
            "{rows} contacted): {value} +- {se} per row, against {as_run} as run and "
            "{nothing} with no offer"
        ).format(
            contacts=lang.number(v["plan_contacts"]),
            rows=lang.number(v["rows"]),
            value=lang.vnd(v["plan_value_vnd"]),
            se=lang.vnd(v["plan_value_se_vnd"]),
            as_run=lang.vnd(v["as_run_value_vnd"]),
            nothing=lang.vnd(v["no_offer_value_vnd"]),
        )
    ]
