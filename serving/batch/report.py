"""The scoring report: one self-contained HTML page beside every batch run's scores, in the
run's language (`serving.language`), readable on screen and on paper.

Sections, each one function: counts and reconciliation; churn risk; value tiers and
relationship states with the Pareto view; the operator's other classifications (customer
type, region); the campaign and its control group; the top of the campaign list with its
reasons; drift against the model's training reference. Money is whole VND with the locale's
separators. Plots are PNGs embedded as data URIs, so the page can be mailed or archived as
one file. The page holds no clock reading: the same run gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from features.contract.sources import write_text_atomic
from serving.batch.html import figure, page, png, section, table
from serving.batch.report_campaign import campaign, measured, top_of_list
from serving.batch.report_segments import business_segments, segments
from serving.campaign_gain import MEASURED_FILE
from serving.language import DEFAULT_LANGUAGE, N_, Language, language
from serving.registry import Models

SECTIONS = (
    N_("Counts and reconciliation"),
    N_("Churn risk"),
    N_("Segments and the Pareto view"),
    N_("Customer type and region"),
    N_("Campaign"),
    N_("Measured gain of past campaigns"),
    N_("Top of the campaign list"),
    N_("Drift against the training reference"),
)
CALENDAR_NOTE = N_(
    "Days since an event counted over the whole history are compared within the last 90 "
    "days, so that a longer history is not read as drift."
)


@dataclass(frozen=True)
class ReportInputs:
    as_of: str
    scores: pd.DataFrame  # the batch scores
    reconciliation: dict  # rows_in, rows_scored, rows_rejected, model versions
    trailing_revenue: pd.Series | None = None  # revenue of the last 90 days per scored row
    campaign: pd.DataFrame | None = None  # the campaign list, when one was planned
    drift: pd.DataFrame | None = None  # column, psi, status
    language: str = DEFAULT_LANGUAGE
    attributes: pd.DataFrame | None = None  # subscriber_id, customer_type, region
    models: Models | None = None  # for offer descriptions
    measured: pd.DataFrame | None = None  # past campaigns measured (`serving.campaign_gain`)


def counts(inputs: ReportInputs, lang: Language) -> str:
    _, rec = lang.gettext, inputs.reconciliation
    ok = rec.get("rows_in") == rec.get("rows_scored", 0) + rec.get("rows_rejected", 0)
    labels = {
        "rows_in": N_("rows in"),
        "rows_scored": N_("rows scored"),
        "rows_rejected": N_("rows rejected"),
        "churn_model": N_("churn model"),
        "value_model": N_("value model"),
        "uplift_model": N_("uplift model"),
    }
    rows = [
        (_(labels.get(k, k)), lang.number(v) if isinstance(v, int | float) else str(v))
        for k, v in rec.items()
        if not isinstance(v, dict)
    ]
    verdict = _("holds") if ok else _("FAILS")
    return section(
        _(SECTIONS[0]),
        "<p>" + _("Rows in = scored + rejected:") + f" <b>{verdict}</b></p>",
        table((_("item"), _("value")), rows, {1}),
    )


def risk(inputs: ReportInputs, lang: Language) -> str:
    _, s = lang.gettext, inputs.scores
    fig, ax = figure()
    ax.hist(s["churn_probability"], bins=50, color="#2b6cb0")
    ax.set_xlabel(_("calibrated churn probability (30 days)"))
    ax.set_ylabel(_("subscribers"))
    text = _("Mean churn probability {mean}; expected churners {churners} of {total}.").format(
        mean=lang.percent(s["churn_probability"].mean()) if len(s) else "-",
        churners=lang.number(s["churn_probability"].sum()),
        total=lang.number(len(s)),
    )
    bands = s["risk_band"].value_counts() if "risk_band" in s else pd.Series(dtype=int)
    rows = [
        (lang.risk_band(b), lang.number(bands[b]), lang.percent(bands[b] / max(len(s), 1)))
        for b in ("high", "medium", "low")
        if b in bands
    ]
    return section(
        _(SECTIONS[1]),
        f"<p>{text}</p>",
        png(fig, _("churn probability histogram")),
        table((_("risk band"), _("subscribers"), _("share")), rows, {1, 2}),
    )


def drift(inputs: ReportInputs, lang: Language) -> str:
    _, d = lang.gettext, inputs.drift
    if d is None or d.empty:
        text = _("No training reference was available for this model.")
        return section(_(SECTIONS[7]), f"<p>{text}</p>")
    top = d.head(15)
    fig, ax = figure(6.0, 0.25 * len(top) + 1)
    colours = top["status"].map({"ok": "#2f855a", "warn": "#d69e2e", "breach": "#c53030"})
    ax.barh(top["column"][::-1], top["psi"][::-1], color=colours[::-1])
    ax.set_xlabel(_("population stability index"))
    n = d["status"].value_counts().reindex(["ok", "warn", "breach"], fill_value=0)
    text = _("{breach} columns breach, {warn} warn, {ok} stable.").format(
        breach=lang.number(n["breach"]), warn=lang.number(n["warn"]), ok=lang.number(n["ok"])
    )
    status = {"ok": _("stable"), "warn": _("warn"), "breach": _("breach")}
    rows = [(r.column, lang.number(r.psi, 3), status[r.status]) for r in top.itertuples()]
    return section(
        _(SECTIONS[7]),
        f"<p>{text}</p>",
        f"<p class='note'>{_(CALENDAR_NOTE)}</p>",
        png(fig, _("drift by column")),
        table((_("column"), "PSI", _("status")), rows, {1}),
    )


def render(inputs: ReportInputs) -> str:
    """The report as one HTML string, in `inputs.language`."""
    lang = language(inputs.language)
    title = lang.gettext("Retain scoring report, as of {day}").format(day=_day(inputs.as_of, lang))
    body = [
        f"<h1>{title}</h1>",
        counts(inputs, lang),
        risk(inputs, lang),
        segments(inputs, lang, lang.gettext(SECTIONS[2])),
        business_segments(inputs, lang, lang.gettext(SECTIONS[3])),
        campaign(inputs, lang, lang.gettext(SECTIONS[4])),
        measured(inputs, lang, lang.gettext(SECTIONS[5])),
        top_of_list(inputs, lang, lang.gettext(SECTIONS[6])),
        drift(inputs, lang),
    ]
    return page(title, lang.code, body)


def _day(as_of: str, lang: Language) -> str:
    try:
        return lang.date(pd.Timestamp(as_of).date())
    except ValueError:
        return as_of


DRIFT_SAMPLE_ROWS = 20_000  # current vectors compared with the training reference


def _measured(path: Path) -> pd.DataFrame | None:
    """The past campaigns the batch job measured before scoring (None when it measured none:
    no file, or a table without a campaign)."""
    try:
        return pd.read_csv(path)
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return None


def write_report(
    out: Path,
    as_of: str,
    counts: dict,
    models: Models,
    trailing_revenue: np.ndarray,
    campaign: pd.DataFrame | None,
    drift: pd.DataFrame | None = None,
    scores_path: Path | None = None,
    language: str = DEFAULT_LANGUAGE,
    attributes: pd.DataFrame | None = None,
) -> Path:
    """The HTML scoring report beside the scores; `counts` has rows_in, rows_scored and
    rows_rejected (a `BatchResult.as_dict()`); `attributes` the customer type and region of
    the scored rows (by subscriber_id)."""
    cols = [
        "subscriber_id",
        "churn_probability",
        "predicted_value_vnd",
        "value_at_risk_vnd",
        "value_tier",
        "relationship_state",
        "risk_band",
        "lifetime_value_vnd",
    ]
    scores = pq.read_table(scores_path or out / "scores.parquet", columns=cols).to_pandas()
    rec = {k: v for k, v in counts.items() if k in ("rows_in", "rows_scored", "rows_rejected")} | {
        "churn_model": models.churn.ref,
        "value_model": models.value.ref,
        "uplift_model": models.uplift.ref if models.uplift else "none",
    }
    past = _measured(out / MEASURED_FILE)
    inputs = ReportInputs(
        as_of,
        scores,
        rec,
        pd.Series(trailing_revenue),
        campaign,
        drift,
        language,
        attributes,
        models,
        past,
    )
    return write_text_atomic(render(inputs), out / "report.html")
