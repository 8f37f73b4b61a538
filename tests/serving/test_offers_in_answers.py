"""Best offers in the one scoring path: same as the reference computation on frames, and
only offers that pay for themselves."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from features.snapshot import build_snapshot
from serving.decision import Catalogue, best_offers, expected_cost, expected_gains
from serving.scoring import OFFER_GAINS, score, score_columns
from tests.conftest import TINY_SCORE_AS_OF


@pytest.fixture(scope="module")
def models(offer_models):
    """The tiny champions with a pinned uplift model (tests/serving/conftest.py)."""
    return offer_models


def test_uplift_and_catalogue_are_pinned(models):
    assert models.uplift is not None and models.uplift.ref.startswith("retain-uplift/")
    assert models.catalogue == Catalogue.from_toml()


def test_best_offer_matches_the_reference_on_frames(models, tiny_raw):
    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF)
    scored = score(vectors, models, reasons=False)
    uplift = models.uplift.model.predict(vectors)
    ref = best_offers(
        expected_gains(
            scored.assign(contract_type=vectors["contract_type"]),
            uplift,
            models.catalogue,
            models.uplift.model.spec.acceptance,
        )
    )
    # Subscribers let go (lifetime margin below the cheapest offer) never get one.
    gone = scored["let_go_reason"].notna().to_numpy()
    assert scored.loc[gone, "best_offer"].isna().all()
    kept = ~gone
    assert scored["best_offer"][kept].tolist() == ref["best_offer"][kept].tolist()
    np.testing.assert_allclose(
        scored["best_offer_gain_vnd"][kept], ref["best_offer_gain_vnd"][kept]
    )
    offered = scored.dropna(subset=["best_offer"])
    assert len(offered) > 0 and (offered["best_offer_gain_vnd"] > 0).all()
    # One subscriber alone (the HTTP answer) gets the batch's offer and gain, bit for bit.
    i = offered.index[0]
    one = score(vectors.loc[[i]].reset_index(drop=True), models, reasons=False)
    assert one.loc[0, "best_offer"] == scored.loc[i, "best_offer"]
    assert one.loc[0, "best_offer_gain_vnd"] == scored.loc[i, "best_offer_gain_vnd"]


def test_rows_that_cannot_pay_for_an_offer_skip_the_uplift_pass(models, tiny_raw):
    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF)
    cols = {c: vectors[c].to_numpy() for c in vectors.columns}
    answer = score_columns(cols, models, reasons=False)
    acceptance = models.uplift.model.spec.acceptance
    assert acceptance  # learnt from the campaigns: offers cost in full only when accepted
    cheapest = min(
        expected_cost(models.catalogue, o.offer_id, acceptance) for o in models.catalogue.offers
    )
    hopeless = answer["churn_probability"] * answer["value_if_retained_vnd"] <= cheapest
    assert hopeless.any()
    assert np.isnan(answer[OFFER_GAINS][hopeless]).all()
    assert pd.Series(answer["best_offer"])[hopeless].isna().all()


def test_batch_writes_campaign_within_budget_and_report(models, tiny_raw, tmp_path):
    from dataclasses import replace

    from serving.batch.chunks import BatchConfig, score_frame
    from serving.batch.report import SECTIONS
    from serving.decision import DecisionPolicy

    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF)
    budget = 200_000.0
    reference = build_snapshot(tiny_raw, date(2025, 6, 1))
    config = replace(
        BatchConfig(reference=reference),
        policy=DecisionPolicy(budget_vnd=budget, control_share=0.2, campaign_id="RET-test"),
    )
    result = score_frame(vectors, models, tmp_path, config)
    plan = pd.read_parquet(tmp_path / "campaign.parquet")
    treated = plan[plan.group == "treatment"]
    assert 0 < treated.cost_vnd.sum() <= budget
    assert result.campaign["contacted"] == len(treated)
    assert plan.subscriber_id.is_unique and set(plan.group) <= {"treatment", "control"}
    assert treated.reasons.map(len).gt(0).all()
    assert (tmp_path / "campaign.csv").read_text().startswith("subscriber_id,offer_id,channel")
    page = (tmp_path / "report.html").read_text()
    assert all(f"<h2>{t}</h2>" in page for t in SECTIONS) and "subscribers to contact" in page
    assert "No training reference" not in page and "columns breach" in page


def test_retain_score_keeps_a_control_and_shows_the_measured_gain(
    models, tiny_trained, tiny_raw, tmp_path
):
    """`retain score`'s sequence: the campaign holds out a control group however small it
    is, and the summary and the report show the last past campaign's measured gain."""
    from serving.batch.job import ScoreJob, run
    from serving.batch.summary import summary
    from serving.campaign_gain import MEASURED_FILE

    settings = tiny_trained[0]  # `models` registered the uplift model under its alias
    job = ScoreJob(
        as_of=TINY_SCORE_AS_OF, raw=tiny_raw, out=tmp_path, materialise=False, budget_vnd=300_000
    )
    done = run(job, settings)
    plan = pd.read_parquet(tmp_path / "campaign.parquet")
    assert (plan.group == "treatment").any() and (plan.group == "control").any()
    assert done.policy.min_control == done.past.min_control >= 1
    text = "\n".join(summary(done))
    assert "measured gain of campaign RET-" in text and "95% CI" in text
    assert "the current models' plan on that campaign" in text
    assert done.past.plan_on_last["rows"] == len(done.past.last_rows)
    assert (tmp_path / MEASURED_FILE).exists()
    assert "Measured gain of past campaigns" in (tmp_path / "report.html").read_text()


def test_without_an_uplift_model_the_batch_plans_an_exploration(models, tiny_raw, tmp_path):
    from dataclasses import replace

    from serving.batch.chunks import BatchConfig, score_frame
    from serving.catalogue import Catalogue
    from serving.decision import DecisionPolicy
    from serving.exploration import Exploration, Playbook

    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF)
    vectors.to_parquet(tmp_path / "v.parquet")
    cat = Catalogue.from_toml()
    explore = Exploration(cat, Playbook.from_toml(None, cat), tmp_path / "v.parquet")
    policy = DecisionPolicy(budget_vnd=200_000, campaign_id="RET-x", exploration=explore)
    cold = replace(models, uplift=None, catalogue=None)
    result = score_frame(vectors, cold, tmp_path / "out", replace(BatchConfig(), policy=policy))
    plan = pd.read_parquet(tmp_path / "out" / "campaign.parquet")
    assert set(plan.purpose) == {"exploration"} and result.campaign["purpose"] == "exploration"
    assert (plan.group == "control").any() and 0 < result.campaign["cost_vnd"] <= 200_000
    assert "Exploration campaign" in (tmp_path / "out" / "report.html").read_text()


def test_a_campaign_table_model_of_the_feature_vector_plans_like_the_others(
    models, tiny_raw, tmp_path
):
    """`retain train-uplift --table` on a table of Retain's own feature vectors registers
    under the feature schema, and the one scoring path proposes offers from it, with the
    same uplift as the model's own predict."""
    from dataclasses import replace

    import mlflow

    from features.artefacts.uplift import UpliftModel
    from features.definitions import FEATURE_NAMES, feature_schema_version
    from features.settings import Settings
    from serving.registry import PinnedUplift
    from training.uplift.data import campaign_set
    from training.uplift.table import CampaignTableSpec, TableUpliftConfig
    from training.uplift.table_run import train_uplift_table

    rows = campaign_set(tiny_raw)
    table = rows[list(FEATURE_NAMES)].assign(
        arm=np.where(rows["treated"], rows["offer_id"], "control"), churned=rows["churned"]
    )
    table.to_parquet(tmp_path / "campaigns.parquet")
    settings = Settings.from_env({"RETAIN_HOME": str(tmp_path / "home")})
    spec = CampaignTableSpec("arm", "churned", churn_outcome=True)
    cfg = TableUpliftConfig(folds=3, rounds=40, min_child_samples=20, threads=1)
    result = train_uplift_table(tmp_path / "campaigns.parquet", spec, cfg, settings)
    mv = MlflowClient(settings.tracking_uri).get_model_version(settings.uplift_model, "1")
    assert mv.tags["feature_schema_version"] == feature_schema_version()
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{settings.uplift_model}/{result.version}",
        dst_path=str(tmp_path / "m"),
    )
    uplift = UpliftModel.load(local)
    assert uplift.spec.outcome == "churn_reduction" and not uplift.spec.features
    table_models = replace(models, uplift=PinnedUplift("table", "1", uplift))
    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF)
    answer = score(vectors, table_models, reasons=False)
    expected = best_offers(
        expected_gains(
            answer.assign(contract_type=vectors["contract_type"].to_numpy()),
            uplift.predict(vectors),
            table_models.catalogue,
        )
    )
    pd.testing.assert_series_equal(
        answer["best_offer"], expected["best_offer"], check_names=False, check_index=False
    )


def test_a_revenue_table_model_of_product_terms_plans_through_the_scoring_path(
    models, tiny_raw, tmp_path
):
    """A campaign table whose outcome is an amount (revenue after the campaign) with the
    hurdle outcome model (products of two boosters, the control's pinned to no offer):
    saved, loaded and served, the one scoring path plans from its uplift in VND as the
    planner's own gains say."""
    from dataclasses import replace

    from features.artefacts.uplift import REVENUE, UpliftModel
    from features.definitions import FEATURE_NAMES
    from serving.decision import gains_matrix
    from serving.registry import PinnedUplift
    from training.uplift.data import campaign_set
    from training.uplift.table import (
        CampaignTableSpec,
        TableUplift,
        TableUpliftConfig,
        prepare_campaign,
    )

    rows = campaign_set(tiny_raw)
    revenue = np.nan_to_num(rows["revenue_vnd_sum_30d"].to_numpy(dtype=float))
    table = rows[list(FEATURE_NAMES)].assign(
        arm=np.where(rows["treated"], rows["offer_id"], "control"),
        revenue_after=(1.0 - rows["churned"].to_numpy(dtype=float)) * revenue,
    )
    cfg = TableUpliftConfig(
        folds=3, rounds=40, min_child_samples=20, threads=1, outcome_model="hurdle"
    )
    fitted = TableUplift(config=cfg).fit(
        prepare_campaign(table, CampaignTableSpec("arm", "revenue_after"))
    )
    uplift = UpliftModel.load(fitted.model_.save(tmp_path / "m"))
    assert uplift.spec.outcome == REVENUE and fitted.outcome_model_ == "hurdle"
    assert all(t.times for terms in uplift.spec.offers.values() for t in terms)
    table_models = replace(models, uplift=PinnedUplift("table", "1", uplift))
    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF)
    predicted = uplift.predict(vectors)
    assert np.abs(predicted.to_numpy()).max() > 0
    answer = score(vectors, table_models, reasons=False)
    offers = [o.offer_id for o in table_models.catalogue.offers]
    gains = gains_matrix(
        table_models.catalogue,
        offers,
        predicted[offers].to_numpy(dtype=float),
        answer["churn_probability"].to_numpy(),
        answer["value_if_retained_vnd"].to_numpy(),
        vectors["contract_type"].to_numpy(),
        answer["value_tier"].to_numpy(),
        outcome=REVENUE,
        acceptance=uplift.spec.acceptance,
    )
    expected = best_offers(pd.DataFrame(gains, columns=offers))
    pd.testing.assert_series_equal(
        answer["best_offer"], expected["best_offer"], check_names=False, check_index=False
    )
