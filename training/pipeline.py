"""Train, evaluate against baselines and the champion, log, register: the retraining job."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import pandas as pd

from features.artefacts.calibration import Calibration
from features.artefacts.tags import (
    COMPARED_CHAMPION_TAG,
    MARGIN_TAG,
    PROMOTION_CHECK_TAG,
    RUN_ID_TAG,
    SCHEMA_TAG,
    SNAPSHOT_TAG,
    TEST_AS_OF_TAG,
)
from features.contract.clean import require_valid
from features.definitions import feature_schema_version
from features.settings import Settings
from features.snapshot import connect, present_tables
from features.spark_engine import ENGINES
from features.training_set import TrainingSample, sample_training_set, write_training_snapshots
from training import report, tracking
from training.backtest import backtest, mean_over_folds
from training.config import TrainConfig
from training.evaluate import beats, churn_scores, churn_table, value_table
from training.fold import fit_churn, fit_value
from training.metrics import value_metrics
from training.models import ChurnModel, ValueModel
from training.promotion import Verdict, promote, verdict
from training.segments import segment_columns, segment_table
from training.survival import SurvivalModel
from training.tuning import tune

log = logging.getLogger(__name__)


@dataclass
class Fitted:
    churn: ChurnModel
    value: ValueModel
    retained: ValueModel  # value if retained: the value model fitted on non-churners
    calibration: Calibration
    test: pd.DataFrame  # the test snapshot, with labels
    churn_scores: dict
    value_scores: dict
    train_rows: dict[str, int]
    churn_test: pd.DataFrame = field(default_factory=pd.DataFrame)
    value_test: pd.DataFrame = field(default_factory=pd.DataFrame)
    churn_segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    value_segments: pd.DataFrame = field(default_factory=pd.DataFrame)

    def evaluate(self, config: TrainConfig) -> Fitted:
        """(Re)compute the test and segment tables from the scores held."""
        snap = config.snapshot
        y_c, y_v = self.test[snap.churn_label], self.test[snap.value_label]
        self.churn_test = churn_table(y_c, self.churn_scores, config.empc, config.empc_vnd)
        self.value_test = value_table(y_v, self.value_scores)
        segs = segment_columns(self.test, config.segments)
        self.churn_segments = segment_table(
            segs, y_c, self.churn_scores, lambda y, p: churn_scores(y, p, config.empc)
        )
        self.value_segments = segment_table(segs, y_v, self.value_scores, value_metrics)
        return self


def fit_and_evaluate(frame: pd.DataFrame, config: TrainConfig) -> Fitted:
    """Fit both models on the temporal split of `frame`, calibrate churn on the validation
    snapshot, and evaluate everything on the test cutoff beside the baselines."""
    c = fit_churn(frame, config.validation_as_of, config.test_as_of, config)
    v = fit_value(frame, config.validation_as_of, config.test_as_of, config, extras=True)
    return Fitted(
        churn=c.model,
        value=v.model,
        retained=v.retained,
        calibration=c.calibration,
        test=c.test,
        churn_scores=c.scores,
        value_scores=v.scores,
        train_rows={"churn": c.train_rows, "value": v.train_rows},
    ).evaluate(config)


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    churn_version: str
    value_version: str
    churn_champion: bool
    value_champion: bool
    churn_test: pd.DataFrame
    value_test: pd.DataFrame
    churn_verdict: Verdict | None = None
    value_verdict: Verdict | None = None
    backtest: dict = field(default_factory=dict)  # kind -> mean over folds per scorer
    report_uri: str = ""


def _comparable(reg: tracking.Registered | None, config: TrainConfig) -> bool:
    """A champion can be scored on this test snapshot when it reads the same features and
    its own training labels ended before this test cutoff."""
    if reg is None or reg.tags.get(SCHEMA_TAG) != feature_schema_version():
        return False
    return reg.tags.get(TEST_AS_OF_TAG, "9999") <= config.test_as_of.isoformat()


def _add_champions(fitted: Fitted, settings: Settings, config: TrainConfig) -> dict[str, str]:
    compared = {}
    for kind, name in (("churn", settings.churn_model), ("value", settings.value_model)):
        reg = tracking.load_alias(name, settings.alias)
        if not _comparable(reg, config):
            continue
        raw = reg.predict(fitted.test)
        if kind == "churn":
            fitted.churn_scores["champion"] = reg.calibration.apply(raw)
        else:
            fitted.value_scores["champion"] = raw
        compared[kind] = reg.version
    fitted.evaluate(config)
    return compared


def training_sample(
    raw: Path, config: TrainConfig, work: Path, engine: str = "local"
) -> TrainingSample:
    """The labelled snapshots of every cutoff streamed to Parquet under `work` (a folder the
    caller created and removes) by DuckDB, or built and written by Spark
    (`features.spark_engine.SparkConfig` says where it runs); and the stratified, weighted
    sample of them, drawn the same way for both engines, in memory."""
    if engine not in ENGINES:
        raise ValueError(f"engine: need one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "spark":
        from features.spark_engine import spark_session
        from features.spark_training import write_training_snapshots_spark

        files, tables = write_training_snapshots_spark(
            spark_session(app_name="retain-train"), raw, config.cutoffs, work, config.snapshot
        )
    else:
        files = write_training_snapshots(
            raw,
            config.cutoffs,
            work,
            config.snapshot,
            config.threads,
            config.sample.duckdb_memory or None,
        )
        tables = present_tables(connect(raw))
    return sample_training_set(
        files,
        sorted(tables),
        config.snapshot,
        config.sample,
        config.segments.large_vnd,
        config.seed,
    )


def train(raw: Path, config: TrainConfig, settings: Settings, engine: str = "local") -> TrainResult:
    """Build the training set from `raw`, backtest, fit, evaluate against the baselines and
    the current champion, log to MLflow, register both models as `challenger`, and (when
    `config.promotion.auto`) promote each one that passes the promotion rule.

    `engine` builds the snapshots: local (DuckDB, embedded) or spark (see `training_sample`).
    `raw` must be a `retain clean` output or pass `retain validate` without a fatal problem:
    otherwise RawDataError is raised before anything is fitted, logged or registered."""
    require_valid(raw)
    # The snapshots go to Parquet in a folder of this run's own (removed at the end: this
    # command wrote it) under RETAIN_HOME/work; only the sample reaches pandas.
    (settings.home / "work").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="train-", dir=settings.home / "work") as work:
        ts = training_sample(raw, config, Path(work), engine)
    frame, manifest = ts.frame, ts.manifest
    tuned = tune(frame, config) if config.tuning.trials else None
    if tuned is not None:
        config = tuned.config  # the winning settings are the ones fitted, logged and backtested
    fitted = fit_and_evaluate(frame, config)
    before = frame[frame["as_of"] < config.test_as_of]
    survival = SurvivalModel(config=config.churn, seed=config.seed, threads=config.threads).fit(
        before,
        config.snapshot.churn_label,
        sample_weight=before["sample_weight"].to_numpy(),
        follow_up=ts.follow_up[ts.follow_up["as_of"] < config.test_as_of],
    )
    bt = backtest(frame, config, strict=False)
    exp = tracking.experiment_id(settings)
    compared = _add_champions(fitted, settings, config)
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{config.test_as_of}") as run:
        mlflow.log_params(config.flat() | {SCHEMA_TAG: feature_schema_version()})
        tracking.log_sample(manifest)
        mlflow.log_dict(manifest | {"train_rows": fitted.train_rows}, "training_manifest.json")
        if tuned is not None:
            tracking.log_trials(tuned)
        tracking.log_reference(frame, config.validation_as_of, config.seed)
        tracking.log_evaluation(
            {"churn": fitted.churn_test, "value": fitted.value_test},
            {"churn": fitted.churn_segments, "value": fitted.value_segments},
            bt,
        )
        mlflow.log_metrics(
            {
                "churn_best_iteration": fitted.churn.best_iteration_,
                "value_best_iteration": fitted.value.best_iteration_,
            }
        )
        tracking.log_report(*report.model_report(fitted, config, bt))
        test = fitted.test
        tags = {
            RUN_ID_TAG: run.info.run_id,
            TEST_AS_OF_TAG: config.test_as_of.isoformat(),
            SNAPSHOT_TAG: config.snapshot.to_json(),  # scoring builds its snapshots the same way
            MARGIN_TAG: config.margin.to_json(),  # and takes lifetime value with these rates
        }
        verdicts = {
            "churn": verdict("churn", fitted.churn_test, fitted.churn_segments, config.promotion),
            "value": verdict("value", fitted.value_test, fitted.value_segments, config.promotion),
        }
        versions = {}
        extra = {
            "churn": {},
            "value": {
                "value_if_retained_model": f"runs:/{run.info.run_id}/value_if_retained_model"
            },
        }
        for kind, model, name, out, cal in (
            ("churn", fitted.churn, settings.churn_model, "churn_probability", fitted.calibration),
            ("value", fitted.value, settings.value_model, config.snapshot.value_label, None),
        ):
            predict = model.predict_proba if kind == "churn" else model.predict
            versions[kind] = tracking.log_booster(
                model.booster_,
                f"{kind}_model",
                test,
                pd.Series(predict(test.head(5)), name=out),
                name,
                tags
                | extra[kind]
                | {
                    "beats_baseline": beats(getattr(fitted, f"{kind}_test"), _primary(kind)),
                    COMPARED_CHAMPION_TAG: compared.get(kind, "none"),
                    PROMOTION_CHECK_TAG: verdicts[kind].text(),
                },
                calibration=cal,
                btyd=None if kind == "churn" else model.btyd_,
                survival=survival.booster_ if kind == "churn" else None,
            )
            tracking.set_alias(name, "challenger", versions[kind])
        tracking.log_booster(
            fitted.retained.booster_,
            "value_if_retained_model",
            test,
            pd.Series(fitted.retained.predict(test.head(5)), name="value_if_retained"),
            None,
            tags,
            btyd=fitted.retained.btyd_,
        )
    promoted = {}
    for kind in ("churn", "value"):
        promoted[kind] = False
        if config.promotion.auto and verdicts[kind].ok:
            promote(
                settings,
                kind,
                config.promotion,
                version=versions[kind],
                who="retain train (automatic)",
                when=datetime.now(UTC),
            )
            promoted[kind] = True
        elif not verdicts[kind].ok:
            log.warning("%s", verdicts[kind].text())
    return TrainResult(
        run.info.run_id,
        versions["churn"],
        versions["value"],
        promoted["churn"],
        promoted["value"],
        fitted.churn_test,
        fitted.value_test,
        verdicts["churn"],
        verdicts["value"],
        {k: mean_over_folds(t) for k, t in bt.items()},
        f"{run.info.artifact_uri}/report/model_report.html",
    )


def _primary(kind: str) -> str:
    return "roc_auc" if kind == "churn" else "normalized_gini"
