"""Bring your own table: label mapping, detected categoricals and ids, band totals, errors,
a planted driver recovered under cross-validation beside the logistic baseline, and the
whole path through the commands: `retain train-table` on a table with missing values and
category columns, the model loaded with `mlflow.pyfunc`, and `retain score --table`."""

import json

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.artefacts.calibration import Calibration
from features.artefacts.table_model import TABLE_MODEL_NAME, TableColumns
from features.cli import build_app
from training.config import ChurnConfig
from training.table.model import TableSpec, band_totals, cross_validate, prepare, read_table


def test_prepare_maps_labels_and_detects_categoricals():
    t = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "plan": ["a", "b", "a"],
            "day_minutes": [1.0, 2, 3],
            "eve_minutes": [1.0, 1, 1],
            "night_minutes": [0.0, 1, 2],
            "churn": ["yes", "no", "Yes"],
        }
    )
    X, y, ids = prepare(t, TableSpec(label="churn", id_column="id"))
    assert ids == ["id"]
    assert y.tolist() == [1, 0, 1]
    assert isinstance(X["plan"].dtype, pd.CategoricalDtype)
    assert X["minutes_all_bands"].tolist() == [2.0, 4.0, 6.0]
    assert "id" not in X.columns and "churn" not in X.columns


def test_band_totals_need_three_columns():
    X = pd.DataFrame({"a_calls": [1.0], "b_calls": [2.0], "x_charge": [3.0]})
    assert list(band_totals(X).columns) == ["a_calls", "b_calls", "x_charge"]


def test_prepare_errors_name_the_column(tmp_path):
    t = pd.DataFrame({"x": [1.0, 2.0], "churn": ["maybe", "no"]})
    with pytest.raises(KeyError, match="label column 'left' not found"):
        prepare(t, TableSpec(label="left"))
    with pytest.raises(ValueError, match=r"churn: values \['maybe'\] are not yes/no"):
        prepare(t, TableSpec(label="churn"))
    with pytest.raises(ValueError, match="churn: every row has the same label"):
        prepare(t.assign(churn="no"), TableSpec(label="churn"))
    with pytest.raises(ValueError, match="churn: 1 rows have no label"):
        prepare(t.assign(churn=["yes", None]), TableSpec(label="churn"))
    with pytest.raises(ValueError, match="expected a .csv or .parquet file"):
        (tmp_path / "t.xlsx").write_text("x")
        read_table(tmp_path / "t.xlsx")


def test_planted_driver_beats_logistic_baseline(tmp_path):
    rng = np.random.default_rng(5)
    n = 2000
    calls = rng.poisson(2, n).astype(float)
    plan = rng.choice(["basic", "max"], n)
    # U-shaped: silent subscribers and those past three care calls leave; a linear model
    # cannot bend both ways.
    p = np.where((calls > 3) | (calls == 0), 0.6, 0.05) * np.where(plan == "max", 0.5, 1.0)
    table = pd.DataFrame(
        {
            "care_calls": calls,
            "plan": plan,
            "noise": rng.normal(size=n),
            "left": np.where(rng.random(n) < p, "yes", "no"),
        }
    )
    table.to_csv(tmp_path / "t.csv", index=False)
    X, y, ids = prepare(read_table(tmp_path / "t.csv"), TableSpec(label="left"))
    assert ids == []
    cfg = ChurnConfig(min_data_in_leaf=20, max_rounds=60, early_stopping_rounds=20)
    cv = cross_validate(X, y, folds=3, seed=1, config=cfg)
    mean = cv.groupby(level="scorer").mean()
    assert mean.loc["model", "roc_auc"] > mean.loc["baseline", "roc_auc"] + 0.02
    assert mean.loc["model", "brier"] < mean.loc["baseline", "brier"]


def test_id_like_columns_are_never_features():
    n = 60
    t = pd.DataFrame(
        {
            "msisdn": [f"8490{i:07d}" for i in range(n)],  # distinct text on every row
            "account_no": np.arange(1000, 1000 + n),  # distinct integers on every row
            "customer_id": np.arange(n) % 7,  # named like an id
            "calls": np.arange(n) % 5,  # integers that repeat: a feature
            "churn": ["yes", "no"] * (n // 2),
        }
    )
    X, _, ids = prepare(t, TableSpec(label="churn"))
    assert ids == ["msisdn", "account_no", "customer_id"]
    assert list(X.columns) == ["calls"]


def telco_table(n: int, seed: int) -> pd.DataFrame:
    """A prepared telco table: an id nobody names, two category columns, numeric columns
    with missing values, a churn label driven by care calls and the contract."""
    rng = np.random.default_rng(seed)
    calls = rng.poisson(2, n).astype(float)
    contract = rng.choice(["month", "year", "two_year"], n)
    # U-shaped in care calls (a linear baseline cannot bend both ways), halved off contract.
    p = np.where((calls > 3) | (calls == 0), 0.6, 0.05) * np.where(contract == "month", 1.0, 0.5)
    t = pd.DataFrame(
        {
            "customer_id": np.arange(5000, 5000 + n),
            "contract": contract,
            "payment": rng.choice(["card", "cash", None], n),
            "care_calls": calls,
            "day_charge": rng.gamma(2, 10, n),
            "eve_charge": rng.gamma(2, 5, n),
            "night_charge": rng.gamma(2, 3, n),
            "churn": np.where(rng.random(n) < p, "Yes", "No"),
        }
    )
    t.loc[rng.choice(n, 11, replace=False), "eve_charge"] = np.nan  # as in the issue
    t.loc[rng.choice(n, 5, replace=False), "care_calls"] = np.nan
    return t


def test_train_table_then_score_table_end_to_end(tmp_path):
    """retain train-table, mlflow.pyfunc.load_model, retain score --table."""
    env = {"RETAIN_HOME": str(tmp_path / "home"), "MLFLOW_TRACKING_URI": ""}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}"
    table = telco_table(600, seed=3)
    table.to_csv(tmp_path / "prepared.csv", index=False)
    app = build_app()
    trained = CliRunner().invoke(
        app,
        ["train-table", "--table", str(tmp_path / "prepared.csv"), "--label", "churn"]
        + ["--folds", "2"],
        env=env,
    )
    assert trained.exit_code == 0, trained.output
    assert "ids: customer_id (customer_id detected as id-like" in trained.output
    assert "features (7): contract, payment, care_calls, day_charge, eve_charge, " in (
        trained.output
    )
    assert f"registered {TABLE_MODEL_NAME} version 1 -> @champion" in trained.output

    # Anyone can load it with mlflow.pyfunc; it carries its calibration.
    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    model = mlflow.pyfunc.load_model(f"models:/{TABLE_MODEL_NAME}@champion")
    inner = model.unwrap_python_model()
    assert isinstance(inner.calibration, Calibration)
    assert isinstance(inner.columns, TableColumns)
    assert inner.columns.ids == ["customer_id"]
    assert inner.columns.totals == {
        "charge_all_bands": ["day_charge", "eve_charge", "night_charge"]
    }
    p = np.asarray(model.predict(table.drop(columns=["churn", "customer_id"])))
    raw = inner.booster.predict(
        pd.DataFrame(
            {c: table[c].astype("category") if c in ("contract", "payment") else table[c]
             for c in inner.columns.inputs}
        ).assign(charge_all_bands=table[["day_charge", "eve_charge", "night_charge"]].sum(
            axis=1, min_count=1))[inner.columns.features]
    )  # fmt: skip
    assert np.allclose(p, inner.calibration.apply(raw))
    assert ((p > 0) & (p < 1)).all() and not np.isnan(p).any()
    y = (table["churn"] == "Yes").to_numpy()
    assert p[y].mean() > p[~y].mean() + 0.1  # it learnt the planted driver

    # retain score --table: every row scored or rejected with its reason.
    new = telco_table(40, seed=4).drop(columns=["churn"])
    new["care_calls"] = new["care_calls"].astype(object)
    new.loc[3, "care_calls"] = "many"
    new.loc[7, "customer_id"] = new.loc[8, "customer_id"]
    new.loc[10, "contract"] = "weekly"  # a level never seen: scored as missing
    new.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "scores"
    scored = CliRunner().invoke(
        app,
        ["score", "--table", str(tmp_path / "new.csv"), "--as-of", "2026-01-01"]
        + ["--out", str(out)],
        env=env,
    )
    assert scored.exit_code == 0, scored.output
    assert f"rows in 40 = scored 37 + rejected 3 ({TABLE_MODEL_NAME}/1)" in scored.output
    scores, rejects = (
        pd.read_parquet(out / "scores.parquet"),
        pd.read_parquet(out / "rejects.parquet"),
    )
    assert sorted(rejects["row"]) == [3, 7, 8]
    assert set(rejects["reason"]) == {
        "care_calls: many is not a number",
        "customer_id: id appears twice",
    }
    assert len(scores) == 37 and scores["churn_probability"].between(0, 1).all()
    assert json.loads((out / "reconciliation.json").read_text())["rows_rejected"] == 3

    # A table without a column the model reads is refused, naming it; nothing is written.
    new.drop(columns=["day_charge"]).to_csv(tmp_path / "short.csv", index=False)
    refused = CliRunner().invoke(
        app,
        ["score", "--table", str(tmp_path / "short.csv"), "--as-of", "2026-01-01"]
        + ["--out", str(tmp_path / "none")],
        env=env,
    )
    assert refused.exit_code == 2
    assert "columns ['day_charge'] are missing" in refused.output
    assert not (tmp_path / "none").exists()
