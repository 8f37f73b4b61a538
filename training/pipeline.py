"""Train, evaluate against baselines and the champion, log, register: the retraining job."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import pandas as pd

from features.artefacts.calibration import Calibration
from features.artefacts.tags import (
    COMPARED_CHAMPION_TAG,
    REFERENCE_DIR,
    REFERENCE_FILE,
    RUN_ID_TAG,
    SCHEMA_TAG,
    TEST_AS_OF_TAG,
    test_metric,
)
from features.contract.clean import require_valid
from features.definitions import feature_schema_version
from features.settings import Settings
from features.training_set import build_training_set
from features.vector import model_frame
from training import report, tracking
from training.backtest import backtest, mean_over_folds
from training.config import TrainConfig
from training.evaluate import beats, churn_scores, churn_table, value_table
from training.fold import fit_churn, fit_value
from training.metrics import decile_table, value_metrics
from training.models import ChurnModel, ValueModel
from training.promotion import Verdict, promote, verdict
from training.segments import segment_columns, segment_table
from training.tuning import Tuned, tune

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
    X = model_frame(fitted.test)
    for kind, name in (("churn", settings.churn_model), ("value", settings.value_model)):
        reg = tracking.load_alias(name, settings.alias)
        if not _comparable(reg, config):
            continue
        raw = reg.booster.predict(X)
        if kind == "churn":
            fitted.churn_scores["champion"] = reg.calibration.apply(raw)
        else:
            fitted.value_scores["champion"] = raw
        compared[kind] = reg.version
    fitted.evaluate(config)
    return compared


def _log_tables(fitted: Fitted, bt: dict[str, pd.DataFrame]) -> None:
    for kind in ("churn", "value"):
        table = getattr(fitted, f"{kind}_test")
        for scorer, row in table.iterrows():
            mlflow.log_metrics({test_metric(kind, scorer, m): float(v) for m, v in row.items()})
        mlflow.log_text(table.to_csv(), f"evaluation/{kind}_test.csv")
        mlflow.log_text(
            getattr(fitted, f"{kind}_segments").to_csv(), f"evaluation/{kind}_segments.csv"
        )
        if kind in bt:
            mlflow.log_text(bt[kind].to_csv(), f"evaluation/{kind}_backtest.csv")
            for scorer, row in mean_over_folds(bt[kind]).iterrows():
                mlflow.log_metrics(
                    {f"backtest_{kind}_{scorer}_{m}_mean": float(v) for m, v in row.items()}
                )


def _report(fitted: Fitted, config: TrainConfig, bt: dict) -> None:
    snap = config.snapshot
    y_c, y_v = fitted.test[snap.churn_label], fitted.test[snap.value_label]
    sample = fitted.test.head(5000)
    contrib = {
        k: report.contributions(m.booster_, sample)
        for k, m in (("churn", fitted.churn), ("value", fitted.value))
    }
    figures = {
        "churn_gains_lift": report.gains_figure(
            y_c, {k: v for k, v in fitted.churn_scores.items() if k != "model_raw"}
        ),
        "churn_calibration": report.calibration_figure(
            y_c, {k: fitted.churn_scores[k] for k in ("model_raw", "model")}
        ),
        "value_deciles": report.deciles_figure(y_v, fitted.value_scores["model"]),
        "churn_importance": report.importance_figure(fitted.churn.booster_, "churn: gain"),
        "value_importance": report.importance_figure(fitted.value.booster_, "value: gain"),
        "churn_contributions": report.contributions_figure(contrib["churn"], "churn"),
        "value_contributions": report.contributions_figure(contrib["value"], "value"),
    }
    images = {}
    for name, fig in figures.items():
        mlflow.log_figure(fig, f"report/{name}.png")
        images[name] = report.png(fig)
    tables = {
        "churn on the test snapshot": fitted.churn_test,
        "value on the test snapshot": fitted.value_test,
        "value deciles (model)": decile_table(y_v, fitted.value_scores["model"]),
    }
    tables |= {f"{k} backtest, mean over folds": mean_over_folds(t) for k, t in bt.items()}
    tables |= {
        "churn per segment": fitted.churn_segments,
        "value per segment": fitted.value_segments,
        "churn contributions": contrib["churn"].head(20),
        "value contributions": contrib["value"].head(20),
    }
    page = report.render_html(f"Retain model report, test {config.test_as_of}", tables, images)
    mlflow.log_text(page, "report/model_report.html")


def _log_trials(tuned: Tuned) -> None:
    """Each tuning trial as a run nested under the training run; the winners as metrics."""
    experiment = mlflow.active_run().info.experiment_id  # nested runs default elsewhere
    for t in tuned.trials:
        name = f"tune-{t.kind}-{t.number:03d}"
        with mlflow.start_run(run_name=name, nested=True, experiment_id=experiment):
            mlflow.log_params({f"{t.kind}.{k}": v for k, v in t.params.items()})
            mlflow.log_metrics(
                {
                    f"{t.kind}_validation_score": t.validation_score,
                    f"{t.kind}_best_iteration": t.best_iteration,
                }
            )
            mlflow.set_tag("tuning_trial", t.kind)
    for kind in ("churn", "value"):
        trials = [t for t in tuned.trials if t.kind == kind]
        mlflow.log_metrics(
            {
                f"tuning_{kind}_trials": len(trials),
                f"tuning_{kind}_best_validation": tuned.best(kind).validation_score,
                f"tuning_{kind}_default_validation": trials[0].validation_score,
            }
        )


def train(raw: Path, config: TrainConfig, settings: Settings) -> TrainResult:
    """Build the training set from `raw`, backtest, fit, evaluate against the baselines and
    the current champion, log to MLflow, register both models as `challenger`, and (when
    `config.promotion.auto`) promote each one that passes the promotion rule.

    `raw` must be a `retain clean` output or pass `retain validate` without a fatal problem:
    otherwise RawDataError is raised before anything is fitted, logged or registered."""
    require_valid(raw)
    frame, manifest = build_training_set(raw, config.cutoffs, config.snapshot)
    tuned = tune(frame, config) if config.tuning.trials else None
    if tuned is not None:
        config = tuned.config  # the winning settings are the ones fitted, logged and backtested
    fitted = fit_and_evaluate(frame, config)
    bt = backtest(frame, config, strict=False)
    exp = tracking.experiment_id(settings)
    compared = _add_champions(fitted, settings, config)
    with mlflow.start_run(experiment_id=exp, run_name=f"train-{config.test_as_of}") as run:
        mlflow.log_params(config.flat() | {SCHEMA_TAG: feature_schema_version()})
        mlflow.log_dict(manifest | {"train_rows": fitted.train_rows}, "training_manifest.json")
        if tuned is not None:
            _log_trials(tuned)
        _log_reference(frame, config)
        _log_tables(fitted, bt)
        mlflow.log_metrics(
            {
                "churn_best_iteration": fitted.churn.best_iteration_,
                "value_best_iteration": fitted.value.best_iteration_,
            }
        )
        _report(fitted, config, bt)
        test = fitted.test
        tags = {RUN_ID_TAG: run.info.run_id, TEST_AS_OF_TAG: config.test_as_of.isoformat()}
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
                    "promotion_check": verdicts[kind].text(),
                },
                calibration=cal,
            )
            tracking.set_alias(name, "challenger", versions[kind])
        tracking.log_booster(
            fitted.retained.booster_,
            "value_if_retained_model",
            test,
            pd.Series(fitted.retained.predict(test.head(5)), name="value_if_retained"),
            None,
            tags,
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


REFERENCE_ROWS = 20_000


def _log_reference(frame: pd.DataFrame, config: TrainConfig) -> None:
    """A seeded sample of the training vectors, logged as `REFERENCE_ARTEFACT`: what
    scoring reports measure drift against."""
    import tempfile

    from features.definitions import FEATURE_NAMES

    train = frame[frame["as_of"] < config.validation_as_of]
    sample = train.sample(n=min(REFERENCE_ROWS, len(train)), random_state=config.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / REFERENCE_FILE
        sample[list(FEATURE_NAMES)].to_parquet(path, index=False)
        mlflow.log_artifact(str(path), REFERENCE_DIR)
