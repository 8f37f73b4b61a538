"""Bring your own campaign table (`retain train-uplift --table`): a planted heterogeneous
effect recovered, errors that name the column, and the command registering a model."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from features.artefacts.uplift import UpliftModel
from features.settings import Settings
from training.cli import app
from training.uplift.evaluation import POOLED
from training.uplift.outcome_model import AMOUNT_MODELS
from training.uplift.table import (
    REVENUE,
    CampaignTableSpec,
    TableUplift,
    TableUpliftConfig,
    best_arm,
    prepare_campaign,
)
from training.uplift.table_choice import choose_amount_model, evaluate_table

FAST = TableUpliftConfig(folds=3, rounds=80, min_child_samples=40)


def campaign(n=6000, seed=0, churn=False) -> pd.DataFrame:
    """Offer A adds 0.25 to the outcome's probability where x > 0.5 only; offer B 0.05
    everywhere; the control nothing. With `churn`, offers lower a churn probability."""
    rng = np.random.default_rng(seed)
    x = rng.random(n)
    arm = rng.choice(["offer A", "B", "none"], n)
    p = 0.2 + 0.25 * ((arm == "offer A") & (x > 0.5)) + 0.05 * (arm == "B")
    y = rng.random(n) < (1 - p if churn else p)
    return pd.DataFrame(
        {
            "customer": np.arange(n),
            "x": x,
            "region": rng.choice(["north", "south"], n),
            "arm": arm,
            "converted": y.astype(int),
            "spend": y * rng.gamma(2.0, 50.0, n),
        }
    )


SPEC = CampaignTableSpec(
    treatment="arm", outcome="converted", control="none", id_column="customer", ignore=("spend",)
)


def test_planted_effect_is_recovered_and_the_saved_model_predicts_the_same(tmp_path):
    table = prepare_campaign(campaign(), SPEC)
    assert table.arms == ["B", "offer_A"] and table.categorical == ("region",)
    assert list(table.X.columns) == ["x", "region"] and table.binary
    model = TableUplift(config=FAST).fit(table)
    test = campaign(3000, seed=1)
    u = model.model_.predict(test)
    high = test["x"].to_numpy() > 0.5
    assert u.loc[high, "offer_A"].mean() - u.loc[~high, "offer_A"].mean() > 0.12
    assert u["B"].mean() == pytest.approx(0.05, abs=0.03)
    # Out-of-fold: the personalised plan is worth more than any blanket arm.
    assert model.blanket_ is None
    assert model.policy_values_["personalised"] > model.policy_values_["offer_A"]
    plan = best_arm(u, {})
    assert (plan[high] == "offer_A").mean() > 0.9
    loaded = UpliftModel.load(model.model_.save(tmp_path / "m"))
    assert loaded.spec.outcome == "converted_probability"
    assert np.allclose(loaded.predict(test).to_numpy(), u.to_numpy())


def test_churn_outcome_uplift_is_the_reduction_and_amounts_are_revenue():
    spec = CampaignTableSpec(**{**SPEC.__dict__, "churn_outcome": True})
    model = TableUplift(config=FAST).fit(prepare_campaign(campaign(churn=True), spec))
    assert model.model_.predict(campaign(2000, seed=2))["B"].mean() > 0.01
    spend = prepare_campaign(
        campaign(), CampaignTableSpec("arm", "spend", "none", ignore=("converted", "customer"))
    )
    assert not spend.binary and spend.outcome_kind == REVENUE


@pytest.mark.parametrize(
    "change, spec, message",
    [
        ({}, CampaignTableSpec("group", "converted"), "group: no such column"),
        ({}, CampaignTableSpec("arm", "converted", control="ctl"), "no row has the control"),
        ({"converted": "yes"}, SPEC, "converted: 6000 rows are missing or not numbers"),
        ({"arm": "none"}, SPEC, "every row is in the control"),
    ],
)
def test_bad_tables_are_refused_naming_the_column(change, spec, message):
    with pytest.raises(ValueError, match=message):
        prepare_campaign(campaign().assign(**change), spec)


def test_retain_train_uplift_table_registers_a_model(tmp_path):
    path = tmp_path / "campaigns.parquet"
    campaign(3000).to_parquet(path)
    settings = Settings.from_env({"RETAIN_HOME": str(tmp_path / "home")})
    env = {"RETAIN_HOME": str(settings.home), "MLFLOW_TRACKING_URI": settings.tracking_uri}
    args = ["train-uplift", "--table", str(path), "--treatment", "arm", "--control", "none"]
    args += ["--outcome", "converted", "--id-column", "customer", "--ignore", "spend"]
    result = CliRunner().invoke(app, [*args, "--folds", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert "registered" in result.output and "offer_A" in result.output
    mv = MlflowClient(settings.tracking_uri).get_model_version(settings.uplift_model, "1")
    assert mv.tags["learner"] == "table" and mv.tags["outcome"] == "converted_probability"
    assert mv.tags["feature_schema_version"].startswith("table-")
    bad = CliRunner().invoke(app, [*args, "--control", "ctl"], env=env)
    assert bad.exit_code != 0 and "no row has the control value 'ctl'" in bad.output


def test_without_heterogeneity_the_plan_is_the_best_blanket_arm():
    """Offer B adds 0.05 for everyone, offer A nothing: a per-customer plan cannot be
    confidently better than sending everyone B, so the plan is B for every row."""
    rng = np.random.default_rng(3)
    n = 6000
    frame = pd.DataFrame({"x": rng.random(n), "arm": rng.choice(["A", "B", "none"], n)})
    p = 0.2 + 0.05 * (frame["arm"] == "B")
    frame["converted"] = (rng.random(n) < p).astype(int)
    model = TableUplift(config=FAST).fit(
        prepare_campaign(frame, CampaignTableSpec("arm", "converted", "none"))
    )
    assert model.blanket_ == "B"
    assert model.policy_values_["personalised_gain_se"] > 0
    assert (model.plan(frame.head(50), {}) == "B").all()


def spending(n=8000, seed=0) -> pd.DataFrame:
    """Spend is 0 for most customers and heavy-tailed above 0 (lognormal); offer A raises
    the share who spend from 5% to 20% where x > 0.5, and nothing elsewhere."""
    rng = np.random.default_rng(seed)
    x = rng.random(n)
    arm = rng.choice(["offer A", "none"], n)
    p = 0.05 + 0.15 * ((arm == "offer A") & (x > 0.5))
    spends = rng.random(n) < p
    return pd.DataFrame({"x": x, "arm": arm, "spend": spends * rng.lognormal(3.0, 1.0, n)})


@pytest.mark.parametrize("kind", ["hurdle", "tweedie", "mean"])
def test_each_amount_model_finds_who_the_offer_makes_spend_and_saves_as_it_predicts(kind, tmp_path):
    table = prepare_campaign(spending(), CampaignTableSpec("arm", "spend", "none"))
    model = TableUplift(config=replace(FAST, outcome_model=kind)).fit(table)
    assert model.outcome_model_ == kind and set(model.oof_tables_) == {kind}
    test = spending(4000, seed=1)
    u = model.model_.predict(test)["offer_A"]
    high = test["x"].to_numpy() > 0.5
    # the true uplift is 0.15 x E[lognormal(3, 1)] = 0.15 x 33.1 = 5.0 where x > 0.5, 0 below
    assert u[high].mean() - u[~high].mean() > 2.5
    loaded = UpliftModel.load(model.model_.save(tmp_path / kind))
    assert loaded.spec.outcome == REVENUE
    assert np.allclose(loaded.predict(test)["offer_A"].to_numpy(), u.to_numpy())


def test_auto_compares_every_amount_model_out_of_fold_and_keeps_one():
    table = prepare_campaign(spending(), CampaignTableSpec("arm", "spend", "none"))
    model = TableUplift(config=FAST).fit(table)
    assert set(model.oof_tables_) == set(AMOUNT_MODELS)
    assert model.outcome_model_ == choose_amount_model(model.oof_tables_)
    kept = model.oof_tables_[model.outcome_model_]
    assert np.allclose(
        kept.loc[POOLED, "qini"], evaluate_table(table, model.oof_, FAST.seed).loc[POOLED, "qini"]
    )
    binary = TableUplift(config=FAST).fit(prepare_campaign(campaign(), SPEC))
    assert binary.outcome_model_ == "binary" and set(binary.oof_tables_) == {"binary"}


def _oof(qini: float, random_sd: float = 0.01) -> pd.DataFrame:
    return pd.DataFrame({"qini": [qini], "qini_random": [0.0], "qini_random_sd": [random_sd]},
                        index=[POOLED])  # fmt: skip


def test_the_tweedie_model_is_replaced_only_by_a_clearly_better_one():
    # noise margin: 1.645 x sqrt(2) x 0.01 = 0.0233
    def kept(tweedie, hurdle, mean):
        return choose_amount_model(
            {"hurdle": _oof(hurdle), "tweedie": _oof(tweedie), "mean": _oof(mean)}
        )

    assert kept(0.05, 0.07, 0.06) == "tweedie"  # higher, within the noise
    assert kept(0.05, 0.08, 0.09) == "mean"  # both clearly better: the larger
    assert kept(-0.05, 0.01, 0.0) == "tweedie"  # clearly higher, but not above random


def test_bad_outcome_models_are_refused_naming_the_setting():
    table = prepare_campaign(spending(), CampaignTableSpec("arm", "spend", "none"))
    with pytest.raises(ValueError, match="outcome_model: 'gamma' is not auto or one of"):
        TableUplift(config=replace(FAST, outcome_model="gamma")).fit(table)
    few = spending().assign(spend=0.0)
    few.loc[0, "spend"] = 12.0
    one = prepare_campaign(few, CampaignTableSpec("arm", "spend", "none"))
    with pytest.raises(ValueError, match="hurdle model needs at least 2 positive amounts"):
        TableUplift(config=replace(FAST, outcome_model="hurdle")).fit(one)
