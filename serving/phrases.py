"""How each churn driver is said: sentence builders that read a subscriber's values and
return one sentence in the given language, with its unit and direction ("top-ups fell by 60%
in the last 30 days", "no mobile data use for 12 days", "3 dropped calls this week").

Sentences are gettext messages (English ids, `serving/locale/*/LC_MESSAGES/retain.po`) with
numbers, money and shares formatted for the language's locale by `serving.language`. Which
features make up which driver is declared in `serving.drivers`.
"""

from __future__ import annotations

from collections.abc import Callable

from serving.language import N_, Language

Row = Callable[[str], object]


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _n(v) -> float:
    return float(v)


def trend(
    what: str, last30: str, sum90: str, slope: str | None = None
) -> Callable[[Language, Row], str]:
    """The last 30 days against the monthly mean of the 60 days before, as the model's
    `*_trend_30d` features compare them; when that is steady, the weekly slope of the last
    4 weeks (`slope`, per week) says whether it is sliding."""

    def say(lang: Language, row: Row) -> str:
        noun = lang.gettext(what)
        a, b = row(last30), row(sum90)
        if _missing(a) or _missing(b):  # its table is optional and was not provided
            return lang.gettext("{what} not recorded").format(what=noun)
        recent, before = _n(a), (_n(b) - _n(a)) / 2.0
        if not before > 0:  # also a positive sum too small to divide (5e-324 / 2 is 0.0)
            if recent > 0:
                return lang.gettext("{what} only in the last 30 days").format(what=noun)
            return lang.gettext("no {what} in the last 90 days").format(what=noun)
        change = recent / before - 1.0
        if change <= -0.1:
            msg = lang.gettext("{what} fell by {pct} in the last 30 days")
            return msg.format(what=noun, pct=lang.percent(-change))
        if change >= 0.1:
            msg = lang.gettext("{what} rose by {pct} in the last 30 days")
            return msg.format(what=noun, pct=lang.percent(change))
        weekly, per_week = recent * 7.0 / 30.0, row(slope) if slope else None
        if not _missing(per_week) and weekly > 0 and abs(_n(per_week)) >= 0.1 * weekly:
            if _n(per_week) < 0:
                msg = lang.gettext("{what} sliding week after week over the last 4 weeks")
            else:
                msg = lang.gettext("{what} climbing week after week over the last 4 weeks")
            return msg.format(what=noun)
        return lang.gettext("{what} steady over the last 90 days").format(what=noun)

    return say


def count(
    forms: tuple[str, str],
    column: str,
    what: str,
    none: str | None = None,
    since: tuple[str, tuple[str, str]] | None = None,
) -> Callable[[Language, Row], str]:
    """A count over its window: "{n} ..." (null: the table was not provided). When the count
    is zero, `since` (a days-since column and its sentence) says when it last happened, and
    `none` that it did not happen in the window, rather than "0 times"."""

    def say(lang: Language, row: Row) -> str:
        v = row(column)
        if _missing(v):
            return lang.gettext("{what} not recorded").format(what=lang.gettext(what))
        if _n(v) == 0 and since is not None and not _missing(row(since[0])):
            days = _n(row(since[0]))
            return lang.ngettext(*since[1], days).format(n=lang.number(days))
        if _n(v) == 0 and none is not None:
            return lang.gettext(none)
        return lang.ngettext(*forms, _n(v)).format(n=lang.number(_n(v)))

    return say


def data_use(lang: Language, row: Row) -> str:
    days = row("days_since_last_data_session")
    if not _missing(days) and _n(days) >= 7:
        msg = lang.ngettext(
            "no mobile data use for {n} day", "no mobile data use for {n} days", _n(days)
        )
        return msg.format(n=lang.number(_n(days)))
    return trend(N_("mobile data use"), "data_mb_sum_30d", "data_mb_sum_90d", "data_mb_slope_28d")(
        lang, row
    )


def dropped_calls(lang: Language, row: Row) -> str:
    week, month = row("dropped_calls_sum_7d"), row("dropped_calls_sum_30d")
    if _missing(week) or _missing(month):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("dropped calls")))
    if _n(week) > 0:
        msg = lang.ngettext("{n} dropped call this week", "{n} dropped calls this week", _n(week))
        return msg.format(n=lang.number(_n(week)))
    if _n(month) == 0:
        return lang.gettext("no dropped call in the last 30 days")
    msg = lang.ngettext(
        "{n} dropped call in the last 30 days", "{n} dropped calls in the last 30 days", _n(month)
    )
    return msg.format(n=lang.number(_n(month)))


def topups(lang: Language, row: Row) -> str:
    days, month = row("days_since_last_recharge"), row("recharge_count_30d")
    if _missing(month):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("top-ups")))
    if _missing(days):
        return lang.gettext("no top-up on record")
    if _n(month) == 0:
        msg = lang.ngettext("no top-up for {n} day", "no top-up for {n} days", _n(days))
        return msg.format(n=lang.number(_n(days)))
    return trend(N_("top-ups"), "recharge_count_30d", "recharge_count_90d")(lang, row)


def recency(lang: Language, row: Row) -> str:
    days = row("days_since_last_billable")
    if _missing(days):
        return lang.gettext("no charged usage or top-up on record")
    msg = lang.ngettext(
        "no charged usage or top-up for {n} day",
        "no charged usage or top-up for {n} days",
        _n(days),
    )
    return msg.format(n=lang.number(_n(days)))


def bills(lang: Language, row: Row) -> str:
    n, change = row("invoice_count_90d"), row("invoice_vnd_change_90d")
    if _missing(n):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("bills")))
    if _n(n) == 0 or _missing(change):
        return lang.gettext("no bill in the last 90 days")
    if _n(change) >= 0:
        msg = lang.gettext("latest bill {amount} above the 90-day average")
    else:
        msg = lang.gettext("latest bill {amount} below the 90-day average")
    return msg.format(amount=lang.vnd(abs(_n(change))))


def payments(lang: Language, row: Row) -> str:
    late, unpaid = row("invoice_late_count_90d"), row("invoice_unpaid_count_90d")
    if _missing(late) or _missing(unpaid):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("bill payments")))
    if _n(unpaid) > 0:
        msg = lang.ngettext("{n} unpaid bill", "{n} unpaid bills", _n(unpaid))
        return msg.format(n=lang.number(_n(unpaid)))
    if _n(late) == 0:
        return lang.gettext("every bill of the last 90 days paid on time")
    msg = lang.ngettext(
        "{n} bill paid late in the last 90 days",
        "{n} bills paid late in the last 90 days",
        _n(late),
    )
    return msg.format(n=lang.number(_n(late)))


def care_contacts(lang: Language, row: Row) -> str:
    month, quarter = row("care_contacts_count_30d"), row("care_contacts_count_90d")
    if _missing(month) or _missing(quarter):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("care contacts")))
    if _n(month) > 0:
        msg = lang.ngettext(
            "{n} contact with customer care in the last 30 days",
            "{n} contacts with customer care in the last 30 days",
            _n(month),
        )
        return msg.format(n=lang.number(_n(month)))
    if _n(quarter) == 0:
        return lang.gettext("no contact with customer care in the last 90 days")
    msg = lang.ngettext(
        "{n} contact with customer care in the last 90 days",
        "{n} contacts with customer care in the last 90 days",
        _n(quarter),
    )
    return msg.format(n=lang.number(_n(quarter)))


def retention_offers(lang: Language, row: Row) -> str:
    got, took = row("offers_received_count_90d"), row("offers_accepted_count_90d")
    if _missing(got) or _missing(took):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("retention offers")))
    if _n(got) == 0:
        return lang.gettext("no retention offer in the last 90 days")
    msg = lang.ngettext(
        "{n} retention offer in the last 90 days, {accepted} accepted",
        "{n} retention offers in the last 90 days, {accepted} accepted",
        _n(got),
    )
    return msg.format(n=lang.number(_n(got)), accepted=lang.number(_n(took)))


def tenure(lang: Language, row: Row) -> str:
    days = row("tenure_days")
    if _missing(days):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("tenure")))
    months = _n(days) / 30.4375
    if months < 1:
        msg = lang.ngettext("customer for {n} day", "customer for {n} days", _n(days))
        return msg.format(n=lang.number(_n(days)))
    msg = lang.ngettext("customer for {n} month", "customer for {n} months", round(months))
    return msg.format(n=lang.number(months))


def contract(lang: Language, row: Row) -> str:
    v = row("contract_type")
    if v == "prepaid":
        return lang.gettext("prepaid subscriber")
    if v == "postpaid":
        return lang.gettext("postpaid subscriber")
    return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("contract type")))


def tariff_plan(lang: Language, row: Row) -> str:
    v = row("tariff_plan")
    if _missing(v):
        return lang.gettext("{what} not recorded").format(what=lang.gettext(N_("tariff plan")))
    return lang.gettext("on tariff plan {plan}").format(plan=v)
