"""Optuna tuning: the defaults are the first trial, the winner is the best validation score,
the test snapshot is never read, and the same seed gives the same trials."""

from __future__ import annotations

from dataclasses import replace

import pytest

from features.training_set import build_training_set
from tests.conftest import TINY_TRAIN
from training.config import TrainConfig, TuningConfig
from training.tuning import SEARCHED, tune


@pytest.fixture(scope="module")
def tiny_frame(tiny_raw):
    frame, _ = build_training_set(tiny_raw, TINY_TRAIN.cutoffs, TINY_TRAIN.snapshot)
    return frame


def _config(trials: int) -> TrainConfig:
    """Short boosting keeps the tests quick: the search, not the fits, is under test."""
    return replace(
        TINY_TRAIN,
        churn=replace(TINY_TRAIN.churn, max_rounds=40),
        value=replace(TINY_TRAIN.value, max_rounds=40),
        tuning=TuningConfig(trials=trials, minutes=5),
    )


def test_tuning_keeps_the_best_validation_trial_and_starts_from_the_defaults(tiny_frame):
    seen = []
    tuned = tune(tiny_frame, _config(3), on_trial=seen.append)
    assert [t.kind for t in tuned.trials] == ["churn"] * 3 + ["value"] * 3
    assert seen == list(tuned.trials)
    for kind in ("churn", "value"):
        trials = [t for t in tuned.trials if t.kind == kind]
        base = getattr(_config(3), kind)
        assert trials[0].params == {f: getattr(base, f) for f in SEARCHED}
        best = tuned.best(kind)
        assert best.validation_score == max(t.validation_score for t in trials)
        chosen = getattr(tuned.config, kind)
        assert {f: getattr(chosen, f) for f in SEARCHED} == best.params
        assert len({tuple(sorted(t.params.items())) for t in trials}) == 3  # it searched
    assert tuned.config.test_as_of == TINY_TRAIN.test_as_of


def test_tuning_is_reproducible_and_ignores_the_test_snapshot(tiny_frame):
    a = tune(tiny_frame, _config(2))
    # Scrambling the test snapshot's labels changes nothing: trials never read it.
    scrambled = tiny_frame.copy()
    test = scrambled["as_of"] == TINY_TRAIN.test_as_of
    for label in (TINY_TRAIN.snapshot.churn_label, TINY_TRAIN.snapshot.value_label):
        scrambled.loc[test, label] = scrambled.loc[test, label].to_numpy()[::-1]
    b = tune(scrambled, _config(2))
    assert a.trials == b.trials
    assert a.config == b.config


def test_tuning_needs_trials(tiny_frame):
    with pytest.raises(ValueError, match="tuning.trials: need at least 1"):
        tune(tiny_frame, _config(0))


def test_tuning_settings_come_from_toml(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text("[tuning]\ntrials = 25\nminutes = 3.5\n")
    assert TrainConfig.from_toml(path).tuning == TuningConfig(trials=25, minutes=3.5)
    path.write_text("[tuning]\ntrails = 25\n")
    with pytest.raises(ValueError, match="unknown setting 'trails'"):
        TrainConfig.from_toml(path)


def test_train_with_tuning_fits_the_winner_and_nests_its_trials(tiny_raw, tmp_path):
    from mlflow import MlflowClient

    from features.settings import Settings
    from training.pipeline import train

    settings = Settings.from_env({"RETAIN_HOME": str(tmp_path / "home")})
    config = replace(_config(2), backtest_folds=1)
    result = train(tiny_raw, config, settings)
    client = MlflowClient(settings.tracking_uri)
    run = client.get_run(result.run_id)
    nested = client.search_runs(
        [run.info.experiment_id], f"tags.`mlflow.parentRunId` = '{result.run_id}'"
    )
    assert sorted(r.info.run_name for r in nested) == [
        "tune-churn-000",
        "tune-churn-001",
        "tune-value-000",
        "tune-value-001",
    ]
    for kind in ("churn", "value"):
        scores = [
            r.data.metrics[f"{kind}_validation_score"]
            for r in nested
            if r.data.tags["tuning_trial"] == kind
        ]
        assert run.data.metrics[f"tuning_{kind}_best_validation"] == max(scores)
        # the registered model was fitted with the winning trial's settings
        best = max(
            (r for r in nested if r.data.tags["tuning_trial"] == kind),
            key=lambda r: r.data.metrics[f"{kind}_validation_score"],
        )
        for key, value in best.data.params.items():
            assert run.data.params[key] == value
