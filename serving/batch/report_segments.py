"""The report's segment sections: the operator's value tiers and relationship states with
the Pareto view, and its other classifications (customer type, region), in the report's
language with whole VND."""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.batch.html import figure, png, section, table
from serving.language import N_, Language

_CUSTOMER_TYPES = {"individual": N_("individual"), "business": N_("business")}
_REGIONS = {"north": N_("north"), "central": N_("central"), "south": N_("south")}
_TIERS = ("super", "large", "medium", "small", "potential", "inactive")
_STATES = ("loyal", "growing", "needs care", "no potential")


def _lorenz(values, label: str, ax) -> float:
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    cum = np.cumsum(v) / total if total > 0 else np.zeros_like(v)
    x = np.arange(1, len(v) + 1) / max(len(v), 1)
    ax.plot(x, cum, label=label)
    k = max(1, int(round(len(v) * 0.2)))
    return float(v[:k].sum() / total) if total > 0 else float("nan")


def segments(inputs, lang: Language, title: str) -> str:
    """Value tiers (subscribers, predicted value, its share), tier x relationship state, and
    what share of value and revenue the top 20% of subscribers bring."""
    _, s = lang.gettext, inputs.scores
    tiers = s.groupby("value_tier")["predicted_value_vnd"].agg(["size", "sum"])
    total = max(float(tiers["sum"].sum()), 1.0)
    order = [t for t in _TIERS if t in tiers.index] + [t for t in tiers.index if t not in _TIERS]
    rows = [
        (
            lang.value_tier(t),
            lang.number(tiers.loc[t, "size"]),
            lang.vnd(tiers.loc[t, "sum"]),
            lang.percent(tiers.loc[t, "sum"] / total),
        )
        for t in order
    ]
    header = (_("value tier"), _("subscribers"), _("predicted value"), _("value share"))
    parts = [table(header, rows, {1, 2, 3})]
    if "relationship_state" in s:
        cross = pd.crosstab(s["value_tier"], s["relationship_state"])
        states = [x for x in _STATES if x in cross.columns]
        states += [x for x in cross.columns if x not in states]
        rows = [
            (lang.value_tier(t), *(lang.number(cross.loc[t, x]) for x in states)) for t in order
        ]
        head = (_("value tier"), *(lang.relationship_state(x) for x in states))
        parts.append(table(head, rows, set(range(1, len(states) + 1))))
    fig, ax = figure(4.5, 4.0)
    pareto = {_("predicted value"): _lorenz(s["predicted_value_vnd"], _("predicted value"), ax)}
    if inputs.trailing_revenue is not None:
        label = _("last 90 days' revenue")
        pareto[label] = _lorenz(inputs.trailing_revenue, label, ax)
    if "lifetime_value_vnd" in s and s["lifetime_value_vnd"].notna().any():  # profitability
        label = _("24-month lifetime margin")
        pareto[label] = _lorenz(s["lifetime_value_vnd"].fillna(0.0).clip(lower=0.0), label, ax)
    ax.plot([0, 1], [0, 1], ls="--", color="grey")
    ax.axvline(0.2, color="grey", lw=0.5)
    ax.set_xlabel(_("share of subscribers"))
    ax.set_ylabel(_("share of revenue"))
    ax.legend()
    text = "; ".join(
        _("top 20% bring {share} of {what}").format(share=lang.percent(v), what=k)
        for k, v in pareto.items()
    )
    return section(title, f"<p>{text}.</p>", *parts, png(fig, _("Pareto curve")))


def business_segments(inputs, lang: Language, title: str) -> str:
    """The same base by customer type and by region: subscribers, mean churn probability,
    predicted value and value at risk."""
    _ = lang.gettext
    a = inputs.attributes
    if a is None or a.empty:
        text = _("The customer type and region were not recorded.")
        return section(title, f"<p>{text}</p>")
    s = inputs.scores.merge(a, on="subscriber_id", how="left")
    parts = []
    for column, names, label in (
        ("customer_type", _CUSTOMER_TYPES, _("customer type")),
        ("region", _REGIONS, _("region")),
    ):
        key = s[column].astype(object).where(s[column].notna(), None)
        g = (
            s.assign(_key=key.fillna("-"))
            .groupby("_key", sort=True)
            .agg(
                n=("subscriber_id", "size"),
                p=("churn_probability", "mean"),
                value=("predicted_value_vnd", "sum"),
                risk=("value_at_risk_vnd", "sum"),
            )
        )
        rows = [
            (
                _(names[k]) if k in names else (_("not recorded") if k == "-" else k),
                lang.number(r.n),
                lang.percent(r.n / max(len(s), 1)),
                lang.percent(r.p),
                lang.vnd(r.value),
                lang.vnd(r.risk),
            )
            for k, r in g.iterrows()
        ]
        header = (
            label,
            _("subscribers"),
            _("share"),
            _("mean churn probability"),
            _("predicted value"),
            _("value at risk"),
        )
        parts.append(table(header, rows, {1, 2, 3, 4, 5}))
    return section(title, *parts)
