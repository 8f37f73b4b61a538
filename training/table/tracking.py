"""MLflow edge of the bring-your-own-table path: cross-validate, fit on all rows, log."""

from __future__ import annotations

import tempfile
from pathlib import Path

import lightgbm as lgb
import mlflow
import mlflow.lightgbm
import numpy as np
import pandas as pd
from mlflow.models import infer_signature

from features.artefacts.calibration import FILE_NAME
from features.settings import Settings
from training.table.model import TableChurnModel, TableSpec, cross_validate
from training.tracking import experiment_id


def log_table_model(
    X: pd.DataFrame,
    y: np.ndarray,
    spec: TableSpec,
    settings: Settings,
    *,
    folds: int,
    seed: int,
    source: Path,
) -> tuple[pd.DataFrame, str]:
    """(per-fold CV table, run id): CV metrics per scorer, then the model fitted on every
    row, logged natively with its calibration, signature and input example."""
    cv = cross_validate(X, y, folds=folds, seed=seed)
    model = TableChurnModel(seed=seed).fit(X, y)
    with mlflow.start_run(experiment_id=experiment_id(settings), run_name="train-table") as run:
        mlflow.log_params(
            {
                "table": str(source),
                "label": spec.label,
                "rows": len(X),
                "folds": folds,
                "seed": seed,
                "band_totals": spec.band_totals,
                "categorical": ",".join(
                    c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)
                ),
            }
        )
        for scorer, row in cv.groupby(level="scorer", sort=False).mean().iterrows():
            mlflow.log_metrics({f"cv_{scorer}_{m}_mean": float(v) for m, v in row.items()})
        mlflow.log_text(cv.to_csv(), "evaluation/cv.csv")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / FILE_NAME
            path.write_text(model.calibration_.to_json())
            mlflow.lightgbm.log_model(
                model.booster_,
                name="table_churn_model",
                signature=infer_signature(X.head(5), model.predict_proba(X.head(5))),
                input_example=X.head(5),
                extra_files=[str(path)],
                pip_requirements=[f"lightgbm=={lgb.__version__}"],
            )
    return cv, run.info.run_id
