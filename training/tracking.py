"""MLflow edge: runs, metrics, native LightGBM models, registry versions and aliases.

Every registered version is tagged with the SHA-256 of each model file as the store holds
it (`record_digests`; the tag's format is `features.artefacts.digests`), which serving verifies
before it parses any file.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import lightgbm as lgb
import mlflow
import mlflow.lightgbm
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature

from features.artefacts.btyd import FILE_NAME as BTYD_FILE
from features.artefacts.btyd import BTYDParams, btyd_columns, value_prediction
from features.artefacts.calibration import FILE_NAME as CALIBRATION_FILE
from features.artefacts.calibration import Calibration
from features.artefacts.digests import DIGEST_TAG, file_digests
from features.artefacts.survival import FILE_NAME as SURVIVAL_FILE
from features.artefacts.tags import REFERENCE_DIR, REFERENCE_FILE, SCHEMA_TAG, test_metric
from features.definitions import FEATURE_NAMES, feature_schema_version
from features.settings import Settings
from features.vector import model_frame
from training.backtest import mean_over_folds
from training.tuning import Tuned

log = logging.getLogger(__name__)


def experiment_id(settings: Settings) -> str:
    """Point MLflow at the configured store and return the experiment's id, creating it
    (with artefacts beside a local sqlite store) when it does not exist."""
    mlflow.set_tracking_uri(settings.tracking_uri)
    exp = mlflow.get_experiment_by_name(settings.experiment)
    if exp is not None:
        return exp.experiment_id
    location = None
    if settings.tracking_uri.startswith("sqlite:"):
        settings.artifact_root.mkdir(parents=True, exist_ok=True)
        location = settings.artifact_root.as_uri()
    return mlflow.create_experiment(settings.experiment, artifact_location=location)


def log_booster(
    booster: lgb.Booster,
    name: str,
    example: pd.DataFrame,
    output: pd.Series,
    registered_name: str | None,
    tags: dict[str, str],
    calibration: Calibration | None = None,
    btyd: BTYDParams | None = None,
    survival: lgb.Booster | None = None,
) -> str | None:
    """Log a Booster in LightGBM's native format inside the active run, with its signature,
    an input example and (for churn) `calibration.json` in the same model folder; register
    it when `registered_name` is given, tag the version with the feature schema version and
    `tags`; return the new version number."""
    rows = example.head(5)
    example = rows[list(FEATURE_NAMES)].copy()
    if btyd is not None:  # the BTYD forecasts the booster reads as features
        example = example.assign(**btyd_columns(rows, btyd))
    signature = infer_signature(example, output.head(5))
    with tempfile.TemporaryDirectory() as tmp:
        extra = []
        if calibration is not None:
            path = Path(tmp) / CALIBRATION_FILE
            path.write_text(calibration.to_json())
            extra.append(str(path))
        if survival is not None:  # the churn model's time-to-churn companion
            path = Path(tmp) / SURVIVAL_FILE
            path.write_text(survival.model_to_string())
            extra.append(str(path))
        if btyd is not None:
            path = Path(tmp) / BTYD_FILE
            path.write_text(btyd.to_json())
            extra.append(str(path))
        info = mlflow.lightgbm.log_model(
            booster,
            name=name,
            signature=signature,
            metadata={SCHEMA_TAG: feature_schema_version()},
            extra_files=extra or None,
            # Stated, not inferred: inference runs a subprocess per model (seconds each).
            pip_requirements=[f"lightgbm=={lgb.__version__}"],
        )
    mlflow.log_text(
        example.to_json(orient="records", date_format="iso"), f"{name}/input_example.json"
    )
    if registered_name is None:
        return None
    version = mlflow.register_model(info.model_uri, registered_name)
    client = MlflowClient()
    for k, v in ({SCHEMA_TAG: feature_schema_version()} | tags).items():
        client.set_model_version_tag(registered_name, version.version, k, str(v))
    record_digests(registered_name, str(version.version))
    return str(version.version)


def record_digests(registered_name: str, version: str) -> dict[str, str]:
    """Tag the version with the digests of the model files as the store holds them (the
    folder serving downloads); return them."""
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{registered_name}/{version}", dst_path=tmp
        )
        digests = file_digests(Path(local))
    if not digests:
        raise FileNotFoundError(f"model {registered_name} version {version}: no model files")
    MlflowClient().set_model_version_tag(
        registered_name, version, DIGEST_TAG, json.dumps(digests, sort_keys=True)
    )
    return digests


def set_alias(registered_name: str, alias: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(registered_name, alias, version)
    log.info("%s@%s -> version %s", registered_name, alias, version)


@dataclass(frozen=True)
class Registered:
    """A registered model version loaded back: native Booster, calibration and tags."""

    name: str
    version: str
    booster: lgb.Booster
    calibration: Calibration
    tags: dict[str, str]
    btyd: BTYDParams | None = None

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The booster on model-frame rows `X` (with the BTYD forecasts it was fitted with)."""
        frame = model_frame(X)
        if self.btyd is not None:
            frame = frame.assign(**btyd_columns(X, self.btyd))
        return value_prediction(self.booster, frame, X, self.btyd)


def load_alias(registered_name: str, alias: str) -> Registered | None:
    """The version behind `registered_name@alias`, or None when the alias is not set."""
    client = MlflowClient()
    try:
        mv = client.get_model_version_by_alias(registered_name, alias)
    except mlflow.exceptions.MlflowException:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{registered_name}/{mv.version}", dst_path=tmp
            )
        )
        files = sorted(local.rglob("*.lgb"))
        if not files:
            raise FileNotFoundError(f"model {registered_name} version {mv.version}: no .lgb file")
        booster = lgb.Booster(model_file=str(files[0]))
        calibration = Calibration.load(local)
        btyd = BTYDParams.load(local)
    return Registered(registered_name, str(mv.version), booster, calibration, dict(mv.tags), btyd)


def alias_version(registered_name: str, alias: str) -> str | None:
    try:
        return str(MlflowClient().get_model_version_by_alias(registered_name, alias).version)
    except mlflow.exceptions.MlflowException:
        return None


def tag_version(registered_name: str, version: str, tags: dict[str, object]) -> None:
    client = MlflowClient()
    for k, v in tags.items():
        client.set_model_version_tag(registered_name, version, k, str(v))


def version_tags(registered_name: str, version: str) -> dict[str, str]:
    return dict(MlflowClient().get_model_version(registered_name, version).tags)


def run_table(run_id: str, path: str, index_cols: int) -> pd.DataFrame:
    """A CSV evaluation table the run logged at `path`."""
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=tmp)
        return pd.read_csv(local, index_col=list(range(index_cols)))


def log_evaluation(
    tests: dict[str, pd.DataFrame], segments: dict[str, pd.DataFrame], bt: dict[str, pd.DataFrame]
) -> None:
    """The test-snapshot tables (model, baseline, champion) as metrics and CSVs, the segment
    tables, and the backtest's per-fold tables with their means."""
    for kind in ("churn", "value"):
        table = tests[kind]
        for scorer, row in table.iterrows():
            mlflow.log_metrics({test_metric(kind, scorer, m): float(v) for m, v in row.items()})
        mlflow.log_text(table.to_csv(), f"evaluation/{kind}_test.csv")
        mlflow.log_text(segments[kind].to_csv(), f"evaluation/{kind}_segments.csv")
        if kind in bt:
            mlflow.log_text(bt[kind].to_csv(), f"evaluation/{kind}_backtest.csv")
            for scorer, row in mean_over_folds(bt[kind]).iterrows():
                mlflow.log_metrics(
                    {f"backtest_{kind}_{scorer}_{m}_mean": float(v) for m, v in row.items()}
                )


def log_trials(tuned: Tuned) -> None:
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


REFERENCE_ROWS = 20_000


def log_sample(manifest: dict) -> None:
    """The sample drawn (`features.sampling`), as run parameters: rows of the base and of the
    sample over every cutoff, and whether each cutoff's churners and top tiers were kept
    whole (its target held them)."""
    cutoffs = manifest["cutoffs"]
    mlflow.log_params(
        {
            "sample.population_rows": manifest["rows"],
            "sample.sampled_rows": manifest["sampled_rows"],
            "sample.kept_whole": all(c["kept_whole"] for c in cutoffs),
            "sample.min_uniform_rate": min(c["uniform_rate"] for c in cutoffs),
        }
    )


def log_reference(frame: pd.DataFrame, before: date, seed: int) -> None:
    """A seeded sample of the training vectors, logged as `REFERENCE_ARTEFACT`: what
    scoring reports measure drift against. From a sampled set, only its equal-probability
    subsample (`uniform_draw`): the base's distribution, not the strata's."""
    train = frame[frame["as_of"] < before]
    if "uniform_draw" in train:
        train = train[train["uniform_draw"]]
    sample = train.sample(n=min(REFERENCE_ROWS, len(train)), random_state=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / REFERENCE_FILE
        sample[list(FEATURE_NAMES)].to_parquet(path, index=False)
        mlflow.log_artifact(str(path), REFERENCE_DIR)


def log_report(figures: dict, page: str) -> None:
    """The model report: each figure as a PNG and the HTML page."""
    for name, fig in figures.items():
        mlflow.log_figure(fig, f"report/{name}.png")
    mlflow.log_text(page, "report/model_report.html")
