"""The bring-your-own-table churn model as MLflow stores it, declared once: `retain
train-table` writes it, `retain score --table` (and anyone with `mlflow.pyfunc.load_model`)
reads it.

Three files, no pickle: LightGBM's native text model, the calibration JSON
(`features.artefacts.calibration`) and the column spec (`TableColumns` as JSON: the
features in order, each categorical's levels, the id columns, the label). `TableModel` is an
`mlflow.pyfunc.PythonModel` logged as "models from code" (MLflow's way to log a pyfunc
without pickling the object: the model is built by a short script at load time), so
`mlflow.pyfunc.load_model(uri).predict(frame)` gives calibrated churn probabilities.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mlflow.pyfunc
import numpy as np
import pandas as pd

TABLE_MODEL_NAME = "retain-table-churn"  # registered model name
MODEL_ARTIFACT = "table_churn_model"  # the pyfunc's folder in the run
BOOSTER_FILE, CALIBRATION_KEY, COLUMNS_FILE = "booster.txt", "calibration", "columns.json"
# The script MLflow runs to build the pyfunc at load time (models from code).
LOADER_SCRIPT = (
    "from mlflow.models import set_model\n"
    "from features.artefacts.table_model import TableModel\n"
    "set_model(TableModel())\n"
)


@dataclass(frozen=True)
class TableColumns:
    """Which columns a table model reads: features in the booster's order, categorical
    levels (LightGBM's own codes follow this order), totals it adds (name: the columns it
    sums), id columns, the label."""

    features: list[str]
    categorical: dict[str, list[str]] = field(default_factory=dict)
    totals: dict[str, list[str]] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    label: str = ""

    @property
    def inputs(self) -> list[str]:
        """The feature columns a table must have (the totals are computed)."""
        return [c for c in self.features if c not in self.totals]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> TableColumns:
        return cls(**json.loads(text))


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as a frame; the suffix decides."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"table: {path} does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if path.suffix.lower() in (".csv", ".txt"):
        return pd.read_csv(path)
    raise ValueError(f"table: {path.name}: expected a .csv or .parquet file")


def feature_frame(frame: pd.DataFrame, columns: TableColumns) -> pd.DataFrame:
    """The model's input from a table: numerics as float (a value that is not a number
    raises, naming the column), categoricals with the training levels (an unseen level is
    missing, as LightGBM treats it). A missing feature column raises, naming it."""
    missing = [c for c in columns.inputs if c not in frame.columns]
    if missing:
        raise KeyError(f"table: feature columns {missing} are missing")
    out = {}
    for c in columns.inputs:
        if c in columns.categorical:
            text = frame[c].astype("string")
            out[c] = pd.Categorical(text, categories=columns.categorical[c])
        else:
            values = pd.to_numeric(frame[c], errors="coerce").astype("float64")
            bad = values.isna() & frame[c].notna()
            if bad.any():
                raise ValueError(
                    f"{c}: {int(bad.sum())} values are not numbers (e.g. {frame[c][bad].iloc[0]!r})"
                )
            out[c] = values
    X = pd.DataFrame(out, index=frame.index)
    for name, parts in columns.totals.items():
        X[name] = X[parts].sum(axis=1, min_count=1)
    return X[columns.features]


class TableModel(mlflow.pyfunc.PythonModel):
    """The pyfunc: a frame in, calibrated churn probabilities out."""

    def load_context(self, context) -> None:
        import lightgbm as lgb

        from features.artefacts.calibration import Calibration

        self.booster = lgb.Booster(model_file=context.artifacts["booster"])
        self.calibration = Calibration.from_json(
            Path(context.artifacts[CALIBRATION_KEY]).read_text()
        )
        self.columns = TableColumns.from_json(Path(context.artifacts["columns"]).read_text())

    def predict(self, context, model_input: pd.DataFrame, params=None) -> np.ndarray:
        X = feature_frame(pd.DataFrame(model_input), self.columns)
        return self.calibration.apply(self.booster.predict(X))
