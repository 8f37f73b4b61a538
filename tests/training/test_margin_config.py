"""The cost rates lifetime value is taken with: set in the training TOML's `[margin]` table,
refused by name when wrong, stored with the churn model and read back by scoring."""

from dataclasses import replace

import numpy as np
import pytest

from features.artefacts.survival import MarginConfig
from features.artefacts.tags import MARGIN_TAG
from training.config import TrainConfig


def _toml(tmp_path, text: str):
    path = tmp_path / "experiment.toml"
    path.write_text('train_from = "2025-04-01"\ntest_as_of = "2025-10-01"\n' + text)
    return path


def test_the_margin_table_sets_the_rates(tmp_path):
    config = TrainConfig.from_toml(_toml(tmp_path, (
        "[margin]\ninterconnect_share = 0.05\nannual_discount_rate = 0.12\n"
        "[margin.cost_rates]\npostpaid = 0.25\nbusiness = 0.2\n"
    )))  # fmt: skip
    m = config.margin
    # a cost_rates table is merged into the defaults: prepaid keeps its rate
    assert m.cost_rates == {"prepaid": 0.35, "postpaid": 0.25, "business": 0.2}
    assert (m.interconnect_share, m.annual_discount_rate) == (0.05, 0.12)
    assert m.margin_share(["business", None, "unknown"]).tolist() == pytest.approx(
        [0.75, 0.60, 0.60]  # a null or unlisted contract type is prepaid
    )
    assert MarginConfig.from_json(m.to_json()) == m
    assert TrainConfig().margin == MarginConfig()  # no table: the defaults in code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[margin]\ninterconnect_share = 1.5\n", r"margin.interconnect_share: must be a number"),
        ("[margin]\nannual_discount_rate = -0.1\n", r"margin.annual_discount_rate: must be"),
        ('[margin]\nannual_discount_rate = "ten"\n', r"setting 'annual_discount_rate'"),
        ("[margin.cost_rates]\npostpaid = 1.2\n", r"margin.cost_rates.postpaid: must be"),
        ('[margin.cost_rates]\npostpaid = "a lot"\n', r"margin.cost_rates.postpaid: must be"),
        ("[margin]\ncost_rates = 0.3\n", r"setting 'cost_rates' must be a table"),
        ("[margin]\ninterconnect_share = 0.7\n", r"margin: a cost rate plus margin.inter"),
        ("[margin]\nfixed_cost = 3\n", r"unknown setting 'fixed_cost'"),
    ],
)
def test_bad_margin_settings_are_refused_by_name(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_toml(_toml(tmp_path, text))


def test_a_rate_table_without_prepaid_is_refused():
    with pytest.raises(ValueError, match="margin.cost_rates: .* at least 'prepaid'"):
        MarginConfig(cost_rates={"postpaid": 0.3})


def test_training_stores_the_rates_and_scoring_uses_the_ones_stored(tiny_trained, tiny_raw):
    from mlflow import MlflowClient

    from features.snapshot import build_snapshot
    from serving.registry import load_models
    from serving.scoring import score
    from tests.conftest import TINY_SCORE_AS_OF, TINY_TRAIN

    settings, result = tiny_trained
    tags = (
        MlflowClient(settings.tracking_uri)
        .get_model_version(settings.churn_model, result.churn_version)
        .tags
    )
    assert MarginConfig.from_json(tags[MARGIN_TAG]) == TINY_TRAIN.margin
    models = load_models(settings)
    assert models.churn.margin == TINY_TRAIN.margin
    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF).head(200)
    base = score(vectors, models, reasons=False)
    thin = MarginConfig(cost_rates={"prepaid": 0.6, "postpaid": 0.6}, interconnect_share=0.2)
    other = score(vectors, replace(models, churn=replace(models.churn, margin=thin)),
                  reasons=False)  # fmt: skip
    # the margin share is 1 - rate - interconnect: 0.2 instead of 0.57 (prepaid) / 0.62
    ratio = other["lifetime_value_vnd"] / base["lifetime_value_vnd"]
    share = np.where(vectors["contract_type"] == "postpaid", 0.2 / 0.62, 0.2 / 0.57)
    assert ratio.to_numpy() == pytest.approx(share, rel=1e-6)
