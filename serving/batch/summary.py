"""What `retain score` prints after a run, in the run's language: the models against their
baselines, the reconciliation, the Pareto views (trailing revenue, predicted value, lifetime
margin), the tiers, the campaign, the measured gain of past campaigns and where everything
went."""

from __future__ import annotations

from pathlib import Path

from serving.batch.campaign_measure import measured_gain_line
from serving.batch.job import ScoreRun
from serving.language import language
from serving.training_run import champion_metrics


def _share(lang, x: float) -> str:
    """A Pareto share; a share of nothing (no revenue at all) is said, not printed as nan."""
    return lang.gettext("no revenue") if x != x else lang.percent(x)


def _lifetime_lines(scores: Path, lang) -> list[str]:
    """Profitability: the 20/80 Pareto on 24-month lifetime margin, and the let-go group."""
    import pyarrow.parquet as pq

    from serving.segments import top_share

    t = pq.read_table(scores, columns=["lifetime_value_vnd", "let_go_reason"]).to_pandas()
    margin = t["lifetime_value_vnd"].dropna()
    _ = lang.gettext
    if margin.empty:
        return ["  " + _("lifetime margin: no survival model registered (retain train)")]
    share = top_share(margin.clip(lower=0.0))
    gone = int(t["let_go_reason"].notna().sum())
    head = (
        _("top 20% of subscribers bring {share} of the 24-month lifetime margin").format(
            share=lang.percent(share)
        )
        if share == share
        else _("no subscriber has a positive 24-month lifetime margin")
    )
    tail = _("({total} in all); let go (never an offer): {gone}").format(
        total=lang.vnd(margin.sum()), gone=lang.number(gone)
    )
    return [f"  {head} {tail}"]


def summary(run: ScoreRun) -> list[str]:
    """The lines `retain score` prints after a run, in the run's language: models against
    their baselines, the reconciliation, the Pareto view, the tiers, the campaign and where
    everything went."""
    result, models, settings, job = run.result, run.models, run.settings, run.job
    lang = language(run.language)
    _, num = lang.gettext, lang.number
    m = champion_metrics(settings, models)
    tiers = ", ".join(f"{lang.value_tier(k)} {num(v)}" for k, v in result.tier_counts.items())
    lines = [
        "",
        _("Retain summary, scores as of {day}").format(day=lang.date(job.as_of)),
        "  "
        + _(
            "churn model {model}: test ROC-AUC {auc} vs recency baseline {base}; "
            "top-decile lift {lift} vs {lift_base}"
        ).format(
            model=models.churn.ref,
            auc=num(m["churn_auc"], 3),
            base=num(m["churn_auc_baseline"], 3),
            lift=num(m["churn_lift"], 2),
            lift_base=num(m["churn_lift_baseline"], 2),
        ),
        "  "
        + _(
            "value model {model}: test normalized Gini {gini} vs trailing-revenue baseline {base}"
        ).format(
            model=models.value.ref,
            gini=num(m["value_gini"], 3),
            base=num(m["value_gini_baseline"], 3),
        ),
        "  "
        + _("rows in {rows_in} = scored {scored} + rejected {rejected}").format(
            rows_in=num(result.rows_in),
            scored=num(result.rows_scored),
            rejected=num(result.rows_rejected),
        ),
        "  "
        + _(
            "top 20% of subscribers bring {revenue} of the last 90 days' revenue "
            "({predicted} of predicted value)"
        ).format(
            revenue=_share(lang, result.revenue_top20_share),
            predicted=_share(lang, result.predicted_value_top20_share),
        ),
        "  " + _("value tiers: {tiers}").format(tiers=tiers),
        *_lifetime_lines(result.scores_path, lang),
    ]
    c = result.campaign
    if c:
        offers = ", ".join(f"{k} {num(v)}" for k, v in c["offers"].items())
        lines.append(
            "  "
            + _(
                "campaign {campaign}: contact {contacted} (+{control} control) for {cost} of "
                "{budget}; expected net gain {gain}; offers {offers}"
            ).format(
                campaign=run.policy.campaign_id,
                contacted=num(c["contacted"]),
                control=num(c["control"]),
                cost=lang.vnd(c["cost_vnd"]),
                budget=lang.vnd(job.budget_vnd),
                gain=lang.vnd(c["expected_gain_vnd"]),
                offers=offers,
            )
        )
        if c.get("purpose") == "exploration":
            lines.append(
                "  "
                + _(
                    "EXPLORATION: no uplift model yet, so the offers are randomised among the "
                    "playbook's segments to learn from"
                )
            )
    else:
        lines.append(
            "  " + _("campaign: no uplift model registered (retain train-uplift), no offers")
        )
    lines += measured_gain_line(run.past, lang)
    out = result.scores_path.parent
    lines += [
        f"  MLflow store: {settings.tracking_uri}  (mlflow ui --backend-store-uri "
        f"{settings.tracking_uri})",
        "  HTTP server: retain serve --port 3000",
        f"scores -> {result.scores_path}; rejects -> {result.rejects_path}; report -> "
        f"{out / 'report.html'}" + (f"; campaign -> {out / 'campaign.csv'}" if c else ""),
    ]
    return lines
