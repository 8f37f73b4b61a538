"""Training on the tiny operator: split, registry, aliases, config."""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from mlflow import MlflowClient

from features.definitions import feature_schema_version
from features.training_set import build_training_set
from tests.conftest import TINY_TRAIN
from training.config import TrainConfig
from training.dataset import temporal_split
from training.pipeline import fit_and_evaluate


def test_temporal_split_keeps_label_windows_before_validation(tiny_raw):
    frame, manifest = build_training_set(tiny_raw, TINY_TRAIN.cutoffs)
    assert [c["as_of"] for c in manifest["cutoffs"]] == [
        "2025-04-01",
        "2025-05-01",
        "2025-06-01",
        "2025-07-01",
        "2025-08-01",
    ]
    assert manifest["feature_schema_version"] == feature_schema_version()
    churn = temporal_split(frame, date(2025, 7, 1), date(2025, 8, 1), 30)
    value = temporal_split(frame, date(2025, 7, 1), date(2025, 8, 1), 90)
    assert sorted(set(churn.train.as_of)) == [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]
    assert sorted(set(value.train.as_of)) == [date(2025, 4, 1)]
    assert set(churn.test.as_of) == {date(2025, 8, 1)}
    with pytest.raises(ValueError, match="as_of: no snapshot on or before"):
        temporal_split(frame, date(2025, 4, 1), date(2025, 8, 1), 30)


def test_models_beat_baselines_on_tiny_operator(tiny_trained):
    _, result = tiny_trained
    assert result.churn_test.loc["model", "roc_auc"] > result.churn_test.loc["baseline", "roc_auc"]
    assert result.value_test.loc["model", "normalized_gini"] > 0.5


def test_registered_with_schema_version_and_champion_alias(tiny_trained):
    settings, result = tiny_trained
    client = MlflowClient(settings.tracking_uri)
    for name, version, champion in (
        (settings.churn_model, result.churn_version, result.churn_champion),
        (settings.value_model, result.value_version, result.value_champion),
    ):
        mv = client.get_model_version(name, version)
        assert mv.tags["feature_schema_version"] == feature_schema_version()
        assert mv.tags["beats_baseline"] == "True"
        assert mv.tags["promotion_check"].startswith(f"{name.split('-')[1]}: promote")
        assert champion and mv.tags["promoted_by"] == "retain train (automatic)"
        if champion:
            assert str(client.get_model_version_by_alias(name, "champion").version) == version
    run = client.get_run(result.run_id)
    assert run.data.metrics["test_churn_model_roc_auc"] == pytest.approx(
        result.churn_test.loc["model", "roc_auc"]
    )
    assert run.data.params["seed"] == str(TINY_TRAIN.seed)


def test_same_seed_same_model(tiny_raw):
    frame, _ = build_training_set(tiny_raw, TINY_TRAIN.cutoffs)
    a = fit_and_evaluate(frame, TINY_TRAIN)
    b = fit_and_evaluate(frame, TINY_TRAIN)
    assert a.churn.booster_.model_to_string() == b.churn.booster_.model_to_string()
    assert a.value.booster_.model_to_string() == b.value.booster_.model_to_string()


def test_toml_overrides_and_unknown_keys(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('test_as_of = "2025-09-01"\nseed = 3\n[churn]\nnum_leaves = 15\n')
    cfg = TrainConfig.from_toml(path)
    assert cfg == replace(
        TrainConfig(),
        test_as_of=date(2025, 9, 1),
        seed=3,
        churn=replace(TrainConfig().churn, num_leaves=15),
    )
    assert cfg.validation_as_of == date(2025, 8, 1)
    path.write_text("[churn]\nleaves = 15\n")
    with pytest.raises(ValueError, match=r"\[churn\]: unknown setting 'leaves'"):
        TrainConfig.from_toml(path)


def test_too_few_cutoffs_is_an_error():
    with pytest.raises(ValueError, match="at least three monthly cutoffs"):
        _ = TrainConfig(train_from=date(2025, 4, 1), test_as_of=date(2025, 5, 1)).cutoffs


def test_calibration_and_report_logged_beside_the_model(tiny_trained, tmp_path):
    import mlflow

    from features.artefacts.calibration import Calibration

    settings, result = tiny_trained
    mlflow.set_tracking_uri(settings.tracking_uri)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{settings.churn_model}/{result.churn_version}",
        dst_path=str(tmp_path / "churn"),
    )
    cal = Calibration.load(local)
    assert cal.method in ("isotonic", "platt")
    assert list((tmp_path / "churn").rglob("*.lgb"))
    page = mlflow.artifacts.download_artifacts(
        run_id=result.run_id, artifact_path="report/model_report.html", dst_path=str(tmp_path)
    )
    text = Path(page).read_text()
    assert text.count("data:image/png;base64,") == 7
    assert "churn per segment" in text and "value_tier" in text
    # Served probability = calibrated; the raw model and the baseline sit beside it.
    assert {"model", "model_raw", "baseline"} <= set(result.churn_test.index)
    assert {"model", "hurdle", "baseline"} <= set(result.value_test.index)
    assert result.churn_test.loc["model", "ece"] < 0.03
    assert result.backtest["churn"].loc["model", "folds"] == 3


def test_backtest_trains_each_fold_only_on_earlier_labels(tiny_raw):
    from training.backtest import backtest, fold_cutoffs

    frame, _ = build_training_set(tiny_raw, TINY_TRAIN.cutoffs)
    assert fold_cutoffs(TINY_TRAIN, 3) == [
        (date(2025, 5, 1), date(2025, 6, 1)),
        (date(2025, 6, 1), date(2025, 7, 1)),
        (date(2025, 7, 1), date(2025, 8, 1)),
    ]
    with pytest.raises(ValueError, match="as_of: no snapshot on or before 2025-01-31"):
        backtest(frame, TINY_TRAIN, 3, strict=True)
    out = backtest(frame, TINY_TRAIN, 3, strict=False)
    churn = out["churn"]
    assert sorted({d for d, _ in churn.index}) == [
        date(2025, 6, 1),
        date(2025, 7, 1),
        date(2025, 8, 1),
    ]
    # Training rows grow by one monthly snapshot per fold: labels end before validation.
    rows = churn.xs("model", level="scorer")["train_rows"].tolist()
    per_month = frame.groupby("as_of").size()
    apr, may, jun = (int(per_month[date(2025, m, 1)]) for m in (4, 5, 6))
    assert rows == [apr, apr + may, apr + may + jun]
    assert list(out["value"].index.get_level_values(0).unique()) == [date(2025, 8, 1)]
    with pytest.raises(ValueError, match="backtest_folds: 4 test cutoffs need at least 6"):
        fold_cutoffs(TINY_TRAIN, 4)
