"""The uplift job on the tiny operator: campaign set, evaluation on later campaigns, registry."""

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from features.artefacts.uplift import UpliftModel
from features.definitions import feature_schema_version
from training.uplift.data import campaign_history, campaign_set
from training.uplift.learners import UpliftConfig
from training.uplift.pipeline import (
    POOLED,
    UpliftTrainConfig,
    beats_random,
    split_by_campaign,
    train_uplift,
)


def test_campaign_history_uses_features_as_of_the_send_day(tiny_raw):
    frame, base = campaign_history(tiny_raw)
    assert frame.equals(campaign_set(tiny_raw))
    assert not (frame.accepted & ~frame.treated).any() and frame.accepted.any()
    # The baseline rows are the untargeted eligible subscribers of the same days.
    assert set(base.sent_day) == set(frame.sent_day)
    keys = lambda f: set(zip(f.subscriber_id, f.sent_day, strict=True))  # noqa: E731
    assert not keys(base) & keys(frame) and len(base) > 5 * len(frame)
    assert frame.treated.any() and (~frame.treated).any()
    assert set(frame.churned.unique()) <= {0.0, 1.0}
    assert (
        frame["as_of"] == frame["sent_day"].map(lambda d: d.date() if hasattr(d, "date") else d)
    ).all()
    train, test = split_by_campaign(frame, 2)
    assert train.sent_day.max() < test.sent_day.min() and test.sent_day.nunique() == 2
    with pytest.raises(ValueError, match="need more than test_campaigns"):
        split_by_campaign(frame, frame.sent_day.nunique())


def test_train_register_and_load(tiny_raw, tiny_settings, tmp_path):
    cfg = UpliftTrainConfig(
        model=UpliftConfig(rounds=30, baseline_rounds=30, min_data_in_leaf=20), threads=1
    )
    result = train_uplift(tiny_raw, cfg, tiny_settings)
    assert set(result.table.columns) >= {"qini", "qini_random", "auuc", "observed_uplift"}
    assert np.isfinite(result.table["qini"]).all()
    assert result.champion == beats_random(result.table)
    pooled = result.table.loc[POOLED]
    assert pooled["rows"] >= result.table.drop(index=POOLED)["rows"].max()
    client = MlflowClient(tiny_settings.tracking_uri)
    mv = client.get_model_version(tiny_settings.uplift_model, result.version)
    assert mv.tags["feature_schema_version"] == feature_schema_version()
    import mlflow

    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{tiny_settings.uplift_model}/{result.version}",
        dst_path=str(tmp_path),
    )
    model = UpliftModel.load(local)
    assert model.offers == sorted(result.table.index.drop(POOLED))
    # "auto" registers the learner it chose out of fold on the training campaigns.
    run = client.get_run(result.run_id)
    assert model.spec.learner == run.data.tags["uplift_learner_chosen"] in ("s", "dr")
    assert mv.tags["learner"] == model.spec.learner
    assert {"oof_uplift_s_qini_pooled", "oof_uplift_dr_qini_pooled"} <= set(run.data.metrics)


def test_beats_random_means_better_than_random_rankings():
    """A ranking by the planted uplift beats random; the reversed ranking and a random
    score (which beats the random mean half the time) do not."""
    from training.uplift.pipeline import evaluate

    rng = np.random.default_rng(11)
    n = 6_000
    x = rng.random(n)
    uplift = np.where(x > 0.5, 0.2, 0.0)
    treated = rng.random(n) < 0.5
    churned = (rng.random(n) < 0.3 - treated * uplift).astype(float)
    frame = pd.DataFrame({"offer_id": "A", "treated": treated, "churned": churned})
    verdict = {
        name: beats_random(evaluate(frame, pd.DataFrame({"A": score}), seed=1))
        for name, score in {
            "planted": uplift + rng.normal(0, 0.01, n),
            "reversed": -uplift,
            "random": rng.random(n),
        }.items()
    }
    assert verdict == {"planted": True, "reversed": False, "random": False}
