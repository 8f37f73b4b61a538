"""The promotion rule on literal tables, and `retain promote` refusing a worse challenger
in a real MLflow registry."""

from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from tests.conftest import TINY_TRAIN
from training.config import ChurnConfig, PromotionConfig
from training.promotion import PromotionRefused, promote, verdict


def _tables(model, baseline, champion=None, ece=0.01, seg_model=0.8):
    rows = {"model": {"roc_auc": model, "ece": ece}, "baseline": {"roc_auc": baseline, "ece": 0.0}}
    if champion is not None:
        rows["champion"] = {"roc_auc": champion, "ece": 0.0}
    table = pd.DataFrame(rows).T
    seg = pd.DataFrame(
        [
            ("region", "north", "model", 500, 0.2, seg_model),
            ("region", "north", "baseline", 500, 0.2, 0.7),
        ],
        columns=["segment", "level", "scorer", "rows", "mean_truth", "roc_auc"],
    ).set_index(["segment", "level", "scorer"])
    return table, seg


def test_rule_literals():
    cfg = PromotionConfig(churn_margin=0.01, max_ece=0.03, max_segment_drop=0.05)
    assert verdict("churn", *_tables(0.80, 0.70), cfg).ok
    v = verdict("churn", *_tables(0.80, 0.70, champion=0.795), cfg)
    assert not v.ok and "does not beat the champion's 0.7950 by 0.01" in v.text()
    assert verdict("churn", *_tables(0.80, 0.70, champion=0.79), cfg).ok
    v = verdict("churn", *_tables(0.80, 0.70, ece=0.05), cfg)
    assert not v.ok and "ece 0.0500 above 0.03" in v.text()
    v = verdict("churn", *_tables(0.80, 0.70, seg_model=0.6), cfg)
    assert not v.ok and "segment region=north" in v.text()
    with pytest.raises(ValueError, match="kind: 'uplift'"):
        verdict("uplift", *_tables(0.8, 0.7), cfg)


@pytest.fixture(scope="module")
def two_runs(tiny_raw, tiny_trained):
    """A champion and a deliberately worse challenger, under their own registered names in
    the session's store (so the session's champions are untouched)."""
    from training.pipeline import train

    base, _ = tiny_trained
    settings = replace(base, churn_model="promo-churn", value_model="promo-value")
    cfg = replace(TINY_TRAIN, backtest_folds=1)
    first = train(tiny_raw, cfg, settings)
    worse = replace(cfg, churn=ChurnConfig(num_leaves=2, max_rounds=2, learning_rate=0.01))
    second = train(tiny_raw, worse, settings)
    return settings, first, second


def test_worse_challenger_is_refused_and_override_is_recorded(two_runs):
    from training.cli import app

    settings, first, second = two_runs
    client = MlflowClient(settings.tracking_uri)
    assert first.churn_champion and not second.churn_champion
    assert "champion" in second.churn_test.index
    champ = client.get_model_version_by_alias("promo-churn", "champion")
    assert str(champ.version) == first.churn_version
    chall = client.get_model_version_by_alias("promo-churn", "challenger")
    assert str(chall.version) == second.churn_version
    env = {"RETAIN_HOME": str(settings.home), "MLFLOW_TRACKING_URI": settings.tracking_uri}
    # The CLI reads the registered names from Settings; drive the function for our names.
    with pytest.raises(PromotionRefused, match="does not beat the champion's"):
        promote(
            settings, "churn", PromotionConfig(), who="t", when=datetime(2026, 1, 2, tzinfo=UTC)
        )
    with pytest.raises(ValueError, match="reason: an override"):
        promote(settings, "churn", PromotionConfig(), who="t", when=datetime.now(UTC), force=True)
    result = CliRunner().invoke(app, ["promote", "churn", "--version", "999"], env=env)
    assert result.exit_code != 0
    promote(
        settings,
        "churn",
        PromotionConfig(),
        who="ana",
        force=True,
        reason="incident 42",
        when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    mv = client.get_model_version("promo-churn", second.churn_version)
    assert mv.tags["promoted_by"] == "ana"
    assert mv.tags["promoted_at"] == "2026-01-02T03:04:05+00:00"
    assert mv.tags["promotion_reason"] == "incident 42"
    assert mv.tags["promotion_override"] == "true"
    assert mv.tags["previous_champion"] == first.churn_version
    assert client.get_model_version_by_alias("promo-churn", "champion").version == int(mv.version)
