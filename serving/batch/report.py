"""The scoring report: one self-contained HTML page beside every batch run's scores.

Sections: counts and reconciliation, the churn-risk distribution, value tiers and
relationship states with the Pareto view, the campaign summary, and drift against the
model's training reference. Plots are PNGs embedded as data URIs, so the page can be
mailed or archived as one file. The page holds no clock reading: the same run gives the
same bytes.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from features.contract.sources import write_text_atomic
from serving.registry import Models

SECTIONS = (
    "Counts and reconciliation",
    "Churn risk",
    "Segments and the Pareto view",
    "Campaign",
    "Drift against the training reference",
)


@dataclass(frozen=True)
class ReportInputs:
    as_of: str
    scores: pd.DataFrame  # the batch scores
    reconciliation: dict  # rows_in, rows_scored, rows_rejected, model versions
    trailing_revenue: pd.Series | None = None  # revenue of the last 90 days per scored row
    campaign: pd.DataFrame | None = None  # the campaign list, when one was planned
    drift: pd.DataFrame | None = None  # column, psi, status


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(border=0, classes="t", float_format=lambda v: f"{v:,.3f}", escape=True)


def _figure(width: float = 6.0, height: float = 3.2):
    """A figure that needs no GUI backend (drawn on Agg whatever pyplot is set to)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _lorenz(values: np.ndarray, label: str, ax) -> float:
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    cum = np.cumsum(v) / total if total > 0 else np.zeros_like(v)
    x = np.arange(1, len(v) + 1) / max(len(v), 1)
    ax.plot(x, cum, label=label)
    k = max(1, int(round(len(v) * 0.2)))
    return float(v[:k].sum() / total) if total > 0 else float("nan")


def render(inputs: ReportInputs) -> str:
    """The report as one HTML string."""
    s = inputs.scores
    parts = [f"<h1>Retain scoring report, as of {html.escape(inputs.as_of)}</h1>"]

    rec = pd.DataFrame(
        {"value": {k: v for k, v in inputs.reconciliation.items() if not isinstance(v, dict)}}
    )
    ok = inputs.reconciliation.get("rows_in") == (
        inputs.reconciliation.get("rows_scored", 0) + inputs.reconciliation.get("rows_rejected", 0)
    )
    parts += [
        f"<h2>{SECTIONS[0]}</h2>",
        f"<p>Rows in = scored + rejected: <b>{'holds' if ok else 'FAILS'}</b></p>",
        _table(rec),
    ]

    fig, ax = _figure()
    ax.hist(s["churn_probability"], bins=50, color="#2b6cb0")
    ax.set_xlabel("calibrated churn probability (30 days)")
    ax.set_ylabel("subscribers")
    bands = (
        s["risk_band"].value_counts().rename("subscribers").to_frame()
        if "risk_band" in s
        else pd.DataFrame()
    )
    parts += [
        f"<h2>{SECTIONS[1]}</h2>",
        f"<p>Mean churn probability {s['churn_probability'].mean():.3%}; expected churners "
        f"{s['churn_probability'].sum():,.0f} of {len(s):,}.</p>",
        _png(fig),
        _table(bands),
    ]

    tiers = s.groupby("value_tier")["predicted_value_vnd"].agg(["size", "sum"])
    tiers.columns = ["subscribers", "predicted_value_vnd"]
    tiers["value_share"] = tiers["predicted_value_vnd"] / max(tiers["predicted_value_vnd"].sum(), 1)
    seg = [_table(tiers)]
    if "relationship_state" in s:
        states = pd.crosstab(s["value_tier"], s["relationship_state"])
        seg.append(_table(states))
    fig, ax = _figure(4.5, 4.0)
    pareto = {"predicted value": _lorenz(s["predicted_value_vnd"], "predicted value", ax)}
    if inputs.trailing_revenue is not None:
        pareto["last 90 days' revenue"] = _lorenz(inputs.trailing_revenue, "last 90 days", ax)
    if "lifetime_value_vnd" in s and s["lifetime_value_vnd"].notna().any():  # profitability
        margin = s["lifetime_value_vnd"].fillna(0.0).clip(lower=0.0)
        pareto["24-month lifetime margin"] = _lorenz(margin, "lifetime margin", ax)
    ax.plot([0, 1], [0, 1], ls="--", color="grey")
    ax.axvline(0.2, color="grey", lw=0.5)
    ax.set_xlabel("share of subscribers")
    ax.set_ylabel("share of revenue")
    ax.legend()
    text = "; ".join(f"top 20% bring {v:.0%} of {k}" for k, v in pareto.items())
    parts += [f"<h2>{SECTIONS[2]}</h2>", f"<p>{text}.</p>", *seg, _png(fig)]

    parts.append(f"<h2>{SECTIONS[3]}</h2>")
    c = inputs.campaign
    if c is None or c.empty:
        parts.append("<p>No campaign was planned in this run.</p>")
    else:
        summary = (
            c.groupby(["offer_id", "group"])
            .agg(
                subscribers=("subscriber_id", "size"),
                cost_vnd=("cost_vnd", "sum"),
                expected_gain_vnd=("expected_gain_vnd", "sum"),
            )
            .reset_index()
        )
        treated = c[c["group"] == "treatment"]
        parts += [
            f"<p>{len(treated):,} subscribers to contact, {len(c) - len(treated):,} held out "
            f"as control; cost {treated['cost_vnd'].sum():,.0f} VND, expected net gain "
            f"{treated['expected_gain_vnd'].sum():,.0f} VND.</p>",
            _table(summary),
        ]

    parts.append(f"<h2>{SECTIONS[4]}</h2>")
    d = inputs.drift
    if d is None or d.empty:
        parts.append("<p>No training reference was available for this model.</p>")
    else:
        top = d.head(15)
        fig, ax = _figure(6.0, 0.25 * len(top) + 1)
        colours = top["status"].map({"ok": "#2f855a", "warn": "#d69e2e", "breach": "#c53030"})
        ax.barh(top["column"][::-1], top["psi"][::-1], color=colours[::-1])
        ax.set_xlabel("population stability index")
        counts = d["status"].value_counts().reindex(["ok", "warn", "breach"], fill_value=0)
        parts += [
            f"<p>{counts['breach']} columns breach, {counts['warn']} warn, "
            f"{counts['ok']} stable.</p>",
            _png(fig),
            _table(top.set_index("column")),
        ]

    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#1a202c}"
        "table.t{border-collapse:collapse;margin:1em 0}"
        "table.t td,table.t th{padding:.2em .8em;border-bottom:1px solid #e2e8f0;text-align:right}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Retain scoring report "
        f"{html.escape(inputs.as_of)}</title><style>{style}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )


DRIFT_SAMPLE_ROWS = 20_000  # current vectors compared with the training reference


def write_report(
    out: Path,
    as_of: str,
    counts: dict,
    models: Models,
    trailing_revenue: np.ndarray,
    campaign: pd.DataFrame | None,
    drift: pd.DataFrame | None = None,
) -> Path:
    """The HTML scoring report beside the scores; `counts` has rows_in, rows_scored and
    rows_rejected (a `BatchResult.as_dict()`)."""
    cols = [
        "churn_probability",
        "predicted_value_vnd",
        "value_tier",
        "relationship_state",
        "risk_band",
        "lifetime_value_vnd",
    ]
    scores = pq.read_table(out / "scores.parquet", columns=cols).to_pandas()
    rec = {k: v for k, v in counts.items() if k in ("rows_in", "rows_scored", "rows_rejected")} | {
        "churn_model": models.churn.ref,
        "value_model": models.value.ref,
        "uplift_model": models.uplift.ref if models.uplift else "none",
    }
    page = render(ReportInputs(as_of, scores, rec, pd.Series(trailing_revenue), campaign, drift))
    return write_text_atomic(page, out / "report.html")
