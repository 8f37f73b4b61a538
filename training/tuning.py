"""Optional hyper-parameter search for the churn and value models (Optuna, TPE).

Trials are scored on the validation snapshot, the one early stopping already watches: it is
later than every training snapshot, and the test snapshot stays untouched, so the final test
metrics of a tuned model are as honest as an untuned one's. Churn trials maximise validation
ROC-AUC, value trials normalized Gini (the metrics the promotion rule compares). The search
stops after `TuningConfig.trials` trials or `minutes` of wall time, whichever comes first;
the sampler is seeded from the training seed, so the same data, config and trial count give
the same trials and the same winner (a time budget that cuts the search short can give a
shorter list on a slower machine: the log records how many trials ran).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import optuna
import pandas as pd

from training.config import ChurnConfig, TrainConfig, ValueConfig
from training.dataset import row_weights, temporal_split
from training.metrics import normalized_gini, roc_auc
from training.models import ChurnModel, ValueModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trial:
    kind: str  # churn | value
    number: int
    params: dict[str, float | int]
    validation_score: float  # churn ROC-AUC or value normalized Gini
    best_iteration: int


@dataclass(frozen=True)
class Tuned:
    config: TrainConfig  # the input config with the winning churn and value settings
    trials: tuple[Trial, ...]

    def best(self, kind: str) -> Trial:
        return max((t for t in self.trials if t.kind == kind), key=lambda t: t.validation_score)


def suggest(trial: optuna.Trial, base: ChurnConfig | ValueConfig) -> ChurnConfig | ValueConfig:
    """The search space: tree size, learning rate, leaf size, sampling and L2 penalty."""
    return replace(
        base,
        num_leaves=trial.suggest_int("num_leaves", 7, 127, log=True),
        learning_rate=trial.suggest_float("learning_rate", 0.01, 0.15, log=True),
        min_data_in_leaf=trial.suggest_int("min_data_in_leaf", 20, 400, log=True),
        feature_fraction=trial.suggest_float("feature_fraction", 0.4, 1.0),
        bagging_fraction=trial.suggest_float("bagging_fraction", 0.5, 1.0),
        lambda_l2=trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
    )


def tune(
    frame: pd.DataFrame,
    config: TrainConfig,
    on_trial: Callable[[Trial], None] | None = None,
) -> Tuned:
    """Search churn then value settings on the temporal split of `frame`; `on_trial` sees each
    finished trial (the training pipeline logs it as a nested MLflow run)."""
    t = config.tuning
    if t.trials < 1:
        raise ValueError(f"tuning.trials: need at least 1 to tune, got {t.trials}")
    snap = config.snapshot
    trials: list[Trial] = []
    best: dict[str, ChurnConfig | ValueConfig] = {}
    for kind, base, label, days in (
        ("churn", config.churn, snap.churn_label, snap.churn_horizon_days),
        ("value", config.value, snap.value_label, snap.value_horizon_days),
    ):
        s = temporal_split(frame, config.validation_as_of, config.test_as_of, days)
        y_val = s.validation[label].to_numpy()
        w = row_weights(s.train)

        def objective(
            trial: optuna.Trial, kind=kind, base=base, s=s, label=label, y_val=y_val, w=w
        ):
            cfg = suggest(trial, base)
            if kind == "churn":
                model = ChurnModel(config=cfg, seed=config.seed, threads=config.threads)
                model.fit(
                    s.train, s.train[label], s.validation, s.validation[label], sample_weight=w
                )
                score = roc_auc(y_val, model.predict_proba(s.validation))
            else:
                model = ValueModel(
                    config=cfg,
                    seed=config.seed,
                    threads=config.threads,
                    horizon_days=config.snapshot.value_horizon_days,
                )
                model.fit(
                    s.train, s.train[label], s.validation, s.validation[label], sample_weight=w
                )
                score = normalized_gini(y_val, model.predict(s.validation))
            done = Trial(
                kind, trial.number, dict(trial.params), float(score), int(model.best_iteration_)
            )
            trials.append(done)
            if on_trial is not None:
                on_trial(done)
            return score

        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.seed)
        )
        # The defaults are always the first trial: tuning can only keep or beat them.
        study.enqueue_trial({f: getattr(base, f) for f in SEARCHED})
        study.optimize(objective, n_trials=t.trials, timeout=t.minutes * 60 / 2)
        best[kind] = replace(base, **study.best_params)
        log.info(
            "%s tuning: %d trials, best validation %.4f (defaults %.4f)",
            kind,
            len(study.trials),
            study.best_value,
            study.trials[0].value,
        )
    tuned = replace(config, churn=best["churn"], value=best["value"])
    return Tuned(config=tuned, trials=tuple(trials))


SEARCHED = (
    "num_leaves",
    "learning_rate",
    "min_data_in_leaf",
    "feature_fraction",
    "bagging_fraction",
    "lambda_l2",
)
