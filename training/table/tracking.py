"""MLflow edge of the bring-your-own-table path: cross-validate, fit on all rows, log the
pyfunc (native LightGBM text, calibration JSON, column spec; no pickle), register it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import lightgbm as lgb
import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature

from features.artefacts.table_model import (
    BOOSTER_FILE,
    CALIBRATION_KEY,
    COLUMNS_FILE,
    LOADER_SCRIPT,
    MODEL_ARTIFACT,
    TABLE_MODEL_NAME,
)
from features.settings import Settings
from training.table.model import TableChurnModel, TableSpec, cross_validate
from training.tracking import experiment_id


@dataclass(frozen=True)
class TableRun:
    cv: pd.DataFrame  # per fold and scorer
    run_id: str
    version: int  # of TABLE_MODEL_NAME
    champion: bool  # whether the alias moved to it


def _example(X: pd.DataFrame) -> pd.DataFrame:
    """Input rows as a client sends them: categoricals as text, numerics as float."""
    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    return X.head(5).astype({c: object for c in cats})


def log_table_model(
    X: pd.DataFrame,
    y: np.ndarray,
    spec: TableSpec,
    settings: Settings,
    *,
    ids: list[str],
    folds: int,
    seed: int,
    source: Path,
) -> TableRun:
    """CV metrics per scorer, then the model fitted on every row, logged as a pyfunc and
    registered; the alias moves to it when it beats the logistic baseline's mean CV ROC-AUC
    (there is no champion of the same table to compare with)."""
    cv = cross_validate(X, y, folds=folds, seed=seed)
    model = TableChurnModel(seed=seed).fit(X, y)
    columns = replace(model.columns_, ids=list(ids), label=spec.label)
    inputs = X[columns.inputs]
    mean = cv.groupby(level="scorer", sort=False).mean()
    better = bool(mean.loc["model", "roc_auc"] > mean.loc["baseline", "roc_auc"])
    with mlflow.start_run(experiment_id=experiment_id(settings), run_name="train-table") as run:
        mlflow.log_params(
            {
                "table": str(source),
                "label": spec.label,
                "rows": len(X),
                "folds": folds,
                "seed": seed,
                "band_totals": spec.band_totals,
                "features": len(columns.features),
                "ids": ",".join(ids),
                "categorical": ",".join(columns.categorical),
            }
        )
        for scorer, row in mean.iterrows():
            mlflow.log_metrics({f"cv_{scorer}_{m}_mean": float(v) for m, v in row.items()})
        mlflow.log_text(cv.to_csv(), "evaluation/cv.csv")
        with tempfile.TemporaryDirectory() as tmp:
            files = {
                "booster": Path(tmp) / BOOSTER_FILE,
                CALIBRATION_KEY: Path(tmp) / "calibration.json",
                "columns": Path(tmp) / COLUMNS_FILE,
            }
            model.booster_.save_model(files["booster"], num_iteration=model.booster_.best_iteration)
            files[CALIBRATION_KEY].write_text(model.calibration_.to_json())
            files["columns"].write_text(columns.to_json())
            loader = Path(tmp) / "table_model_loader.py"
            loader.write_text(LOADER_SCRIPT)
            example = _example(inputs)
            info = mlflow.pyfunc.log_model(
                name=MODEL_ARTIFACT,
                python_model=str(loader),  # models from code: nothing is pickled
                artifacts={k: str(v) for k, v in files.items()},
                signature=infer_signature(example, model.predict_proba(X.head(5))),
                input_example=example,
                pip_requirements=[f"lightgbm=={lgb.__version__}", f"mlflow=={mlflow.__version__}"],
            )
    client = MlflowClient(settings.tracking_uri)
    version = mlflow.register_model(info.model_uri, TABLE_MODEL_NAME).version
    if better:
        client.set_registered_model_alias(TABLE_MODEL_NAME, settings.alias, version)
    return TableRun(cv=cv, run_id=run.info.run_id, version=int(version), champion=better)
