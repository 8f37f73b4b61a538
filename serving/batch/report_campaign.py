"""The report's campaign sections: the planned campaign with its control group, the measured
gain of past campaigns, and the top of the list with each contact's reasons, in the
report's language with whole VND."""

from __future__ import annotations

import html

import numpy as np

from serving.batch.html import section, table
from serving.campaign_gain import ALL_OFFERS
from serving.language import N_, Language
from serving.names import offer_description
from serving.registry import Models

TOP_ROWS = 20  # campaign rows shown with their reasons
NO_CAMPAIGN = N_("No campaign was planned in this run.")


def measured_figures(measured, lang: Language) -> dict[str, str]:
    """A measured campaign's retention uplift and net gain with their 95% intervals, as the
    summary's and the report's sentences name them (`uplift`, `low`, `high`, `gain`,
    `gain_low`, `gain_high`), in `lang`."""

    def signed(x: float) -> str:
        return ("+" if x >= 0 else "") + lang.number(x, 3)

    return {
        "uplift": signed(measured["retention_uplift"]),
        "low": signed(measured["retention_uplift_low"]),
        "high": signed(measured["retention_uplift_high"]),
        "gain": lang.vnd(measured["net_gain_vnd"]),
        "gain_low": lang.vnd(measured["net_gain_low_vnd"]),
        "gain_high": lang.vnd(measured["net_gain_high_vnd"]),
    }


def campaign(inputs, lang: Language, title: str) -> str:
    _, c = lang.gettext, inputs.campaign
    if c is None or c.empty:
        return section(title, "<p>" + _(NO_CAMPAIGN) + "</p>")
    treated, control = c[c["group"] == "treatment"], c[c["group"] == "control"]
    text = _(
        "{treated} subscribers to contact, {control} held out as control; cost {cost}, "
        "expected net gain {gain}."
    ).format(
        treated=lang.number(len(treated)),
        control=lang.number(len(control)),
        cost=lang.vnd(treated["cost_vnd"].sum()),
        gain=lang.vnd(treated["expected_gain_vnd"].sum()),
    )
    held = _(
        "The control group ({share} of the list) is chosen at random and gets no offer: next "
        "month, the churn of the contacted subscribers against theirs measures what the "
        "campaign really saved."
    ).format(share=lang.percent(len(control) / max(len(c), 1)))
    if "purpose" in c and (c["purpose"] == "exploration").any():
        held += " " + _(
            "Exploration campaign: no uplift model is registered yet, so offers are randomised "
            "among the playbook's segments; its control group lets the next cycle learn and "
            "measure uplift."
        )
    summary = (
        c.groupby(["offer_id", "group"], sort=True)
        .agg(
            n=("subscriber_id", "size"), cost=("cost_vnd", "sum"), gain=("expected_gain_vnd", "sum")
        )
        .reset_index()
    )
    rows = [
        (
            describe_offer(r.offer_id, inputs.models, lang),
            _("treatment") if r.group == "treatment" else _("control"),
            lang.number(r.n),
            lang.vnd(r.cost),
            lang.vnd(r.gain),
        )
        for r in summary.itertuples()
    ]
    header = (_("offer"), _("group"), _("subscribers"), _("cost"), _("expected net gain"))
    return section(
        title,
        f"<p>{text}</p>",
        f"<p class='note'>{held}</p>",
        table(header, rows, {2, 3, 4}),
    )


def measured(inputs, lang: Language, title: str) -> str:
    """Past campaigns' gain measured from their control groups, overall per campaign."""
    _, m = lang.gettext, inputs.measured
    if m is None or m.empty:
        return section(
            title,
            "<p>"
            + _("No past campaign with a control group has a complete outcome window.")
            + "</p>",  # fmt: skip
        )
    rows = m[m["offer_id"] == ALL_OFFERS].set_index("campaign_id")
    text = _(
        "Last campaign {campaign}: retention {uplift} ({low} to {high}), net gain {gain} "
        "({gain_low} to {gain_high}); treatment against control, 95% intervals."
    ).format(campaign=html.escape(str(rows.index[-1])), **measured_figures(rows.iloc[-1], lang))
    table_rows = [
        (
            html.escape(str(cid)),
            str(r["sent_day"]),
            lang.number(r["treated"]),
            lang.number(r["control"]),
            measured_figures(r, lang)["uplift"],
            lang.vnd(r["net_gain_vnd"]),
        )
        for cid, r in rows.iterrows()
    ]
    header = (_("campaign"), _("sent"), _("treated"), _("control"), _("retention uplift"),
              _("net gain"))  # fmt: skip
    return section(title, f"<p>{text}</p>", table(header, table_rows, {2, 3, 4, 5}))


def top_of_list(inputs, lang: Language, title: str) -> str:
    _, c = lang.gettext, inputs.campaign
    if c is None or c.empty:
        return section(title, "<p>" + _(NO_CAMPAIGN) + "</p>")
    top = c[c["group"] == "treatment"].head(TOP_ROWS)
    rows = [
        (
            str(r.subscriber_id),
            describe_offer(r.offer_id, inputs.models, lang),
            lang.vnd(r.expected_gain_vnd),
            "; ".join(r.reasons) if isinstance(r.reasons, list | np.ndarray) else "",
        )
        for r in top.itertuples()
    ]
    header = (_("subscriber"), _("offer"), _("expected net gain"), _("why"))
    note = _("The {n} contacts with the highest expected gain, and why each may leave.").format(
        n=lang.number(len(top))
    )
    return section(title, f"<p>{note}</p>", table(header, rows, {0, 2}))


def describe_offer(offer_id: str, models: Models | None, lang: Language) -> str:
    if models is not None and models.catalogue is not None:
        try:
            return offer_description(models.catalogue.offer(offer_id), lang)
        except KeyError:
            pass
    return offer_id
