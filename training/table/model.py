"""Bring your own table: churn from a prepared one-row-per-subscriber table.

For teams whose warehouse already builds the vector. Columns: an optional id, a binary
label, and features; non-numeric columns are categorical. The model is LightGBM with early
stopping and probability calibration on a stratified held-out part of the training rows,
compared with a logistic-regression baseline under stratified cross-validation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features.artefacts.calibration import Calibration
from features.artefacts.table_model import TableColumns, read_table  # noqa: F401 (re-exported)
from training.calibrate import fit_calibration
from training.config import ChurnConfig
from training.evaluate import churn_scores
from training.models import booster_params

TRUE_WORDS = {"1", "yes", "y", "true", "t", "churn", "churned"}
FALSE_WORDS = {"0", "no", "n", "false", "f", "stay", "stayed"}


@dataclass(frozen=True)
class TableSpec:
    label: str
    id_column: str | None = None
    positive: str | None = None  # label value meaning churn; default: yes/true/1
    band_totals: bool = True  # add totals of measures split by band (see band_totals)


# Prepared tables are small next to a whole operator: smaller leaves, slower learning.
TABLE_CHURN = ChurnConfig(
    min_data_in_leaf=20, learning_rate=0.03, max_rounds=2000, early_stopping_rounds=100
)


def band_groups(X: pd.DataFrame, min_columns: int = 3) -> dict[str, list[str]]:
    """Operators' tables split a measure by band (day/evening/night/international,
    in/out): `total_day_minutes`, `total_eve_minutes`, ... For every numeric measure
    suffix shared by at least `min_columns` columns, `{suffix}_all_bands`: those columns,
    whose sum trees cannot form from splits on the parts."""
    groups: dict[str, list[str]] = {}
    for c in X.columns:
        if pd.api.types.is_float_dtype(X[c]) and "_" in c:
            groups.setdefault(c.rsplit("_", 1)[1], []).append(c)
    return {
        f"{suffix}_all_bands": cols
        for suffix, cols in sorted(groups.items())
        if len(cols) >= min_columns and f"{suffix}_all_bands" not in X.columns
    }


def band_totals(X: pd.DataFrame, min_columns: int = 3) -> pd.DataFrame:
    """`X` with the sums of `band_groups`."""
    out = X.copy()
    for name, cols in band_groups(X, min_columns).items():
        out[name] = X[cols].sum(axis=1, min_count=1)
    return out


ID_NAME = re.compile(r"(?:^|_)(?:id|key|msisdn|phone|phone_number|imsi|account)$", re.I)
MIN_ROWS_FOR_UNIQUE_IDS = 50  # below this, all-distinct integers say little


def id_like(frame: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Columns that identify a row rather than describe it: named like an id (`..._id`,
    `msisdn`, `phone`), or integers or text with a distinct value on every row (of at least
    `MIN_ROWS_FOR_UNIQUE_IDS` rows). As features they would be memorised, not learnt."""
    found = []
    for c in frame.columns:
        if c in exclude or pd.api.types.is_float_dtype(frame[c]):
            continue
        s = frame[c]
        distinct = len(s) >= MIN_ROWS_FOR_UNIQUE_IDS and s.notna().all() and s.is_unique
        if ID_NAME.search(str(c)) or distinct:
            found.append(c)
    return found


def prepare(frame: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """(features, 0/1 label, id columns): categoricals as `category`, numerics as float
    (missing values stay missing); the label is mapped from yes/no, true/false, 1/0 or
    `spec.positive`; the id columns are `spec.id_column` and every id-like column
    (`id_like`), none of them a feature. Errors name the column."""
    if spec.label not in frame.columns:
        raise KeyError(
            f"table: label column '{spec.label}' not found (columns: {list(frame.columns)})"
        )
    if frame.empty:
        raise ValueError("table: no rows")
    raw = frame[spec.label]
    if raw.isna().any():
        raise ValueError(f"{spec.label}: {int(raw.isna().sum())} rows have no label")
    text = raw.astype(str).str.strip().str.lower()
    if spec.positive is not None:
        y = (text == str(spec.positive).strip().lower()).to_numpy(dtype=int)
    else:
        unknown = sorted(set(text) - TRUE_WORDS - FALSE_WORDS)
        if unknown:
            raise ValueError(
                f"{spec.label}: values {unknown[:5]} are not yes/no, true/false "
                "or 1/0; pass the churn value as `positive`"
            )
        y = text.isin(TRUE_WORDS).to_numpy(dtype=int)
    if y.min() == y.max():
        raise ValueError(f"{spec.label}: every row has the same label; need both classes")
    if spec.id_column and spec.id_column not in frame.columns:
        raise KeyError(f"table: id column '{spec.id_column}' not found")
    ids = [spec.id_column] if spec.id_column else []
    ids += id_like(frame, {spec.label, *ids})
    X = frame.drop(columns=[spec.label, *ids])
    if X.shape[1] == 0:
        raise ValueError("table: no feature columns besides the label and id")
    out = pd.DataFrame(index=X.index)
    for c in X.columns:
        if pd.api.types.is_bool_dtype(X[c]) or not pd.api.types.is_numeric_dtype(X[c]):
            out[c] = X[c].astype("string").astype("category")
        else:
            out[c] = X[c].astype("float64")
    return (band_totals(out) if spec.band_totals else out), y, ids


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]


class TableChurnModel:
    """LightGBM churn classifier for a prepared table, calibrated on a held-out share."""

    def __init__(
        self,
        *,
        config: ChurnConfig = TABLE_CHURN,
        seed: int = 7,
        threads: int = 2,
        holdout: float = 0.2,
        calibration: str = "auto",
    ):
        self.config = config
        self.seed = seed
        self.threads = threads
        self.holdout = holdout
        self.calibration = calibration

    def fit(self, X: pd.DataFrame, y) -> TableChurnModel:
        """LightGBM on `X` as it is: missing values stay missing (LightGBM learns which
        side of each split they go)."""
        y = np.asarray(y, dtype=int)
        Xt, Xv, yt, yv = train_test_split(
            X, y, test_size=self.holdout, stratify=y, random_state=self.seed
        )
        c = self.config
        params = booster_params(c, self.seed, self.threads) | {
            "objective": "binary",
            "metric": "binary_logloss",
        }
        train = lgb.Dataset(Xt, label=yt)
        valid = lgb.Dataset(Xv, label=yv, reference=train)
        self.booster_ = lgb.train(
            params,
            train,
            num_boost_round=c.max_rounds,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(c.early_stopping_rounds, verbose=False)],
        )
        self.categories_ = {k: X[k].cat.categories for k in categorical_columns(X)}
        self.columns_ = TableColumns(
            features=list(X.columns),
            categorical={k: [str(v) for v in cats] for k, cats in self.categories_.items()},
            totals={
                k: v
                for k, v in band_groups(
                    X[[c for c in X.columns if not c.endswith("_all_bands")]]
                ).items()
                if k in X.columns
            },
        )
        self.calibration_: Calibration = fit_calibration(self._raw(Xv), yv, self.calibration)
        return self

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(X, num_iteration=self.booster_.best_iteration)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probability per row."""
        return self.calibration_.apply(self._raw(X))


def logistic_baseline(X: pd.DataFrame, seed: int = 7):
    """Standardised numerics (missing values imputed with the median), one-hot categoricals
    (missing as a level of its own), L2 logistic regression."""
    cats = categorical_columns(X)
    nums = [c for c in X.columns if c not in cats]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), nums),
            ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
        ]
    )
    return make_pipeline(pre, LogisticRegression(max_iter=2000, random_state=seed))


def cross_validate(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    folds: int = 5,
    seed: int = 7,
    config: ChurnConfig = TABLE_CHURN,
    threads: int = 2,
) -> pd.DataFrame:
    """Stratified k-fold: per fold and scorer (model, model_raw, baseline), churn metrics."""
    rows = []
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(skf.split(X, y), start=1):
        model = TableChurnModel(config=config, seed=seed, threads=threads).fit(X.iloc[tr], y[tr])
        Xnum = X.copy()
        for c in categorical_columns(X):
            Xnum[c] = Xnum[c].astype(object).where(Xnum[c].notna(), "missing")
        base = logistic_baseline(X, seed).fit(Xnum.iloc[tr], y[tr])
        preds = {
            "model": model.predict_proba(X.iloc[te]),
            "model_raw": model._raw(X.iloc[te]),
            "baseline": base.predict_proba(Xnum.iloc[te])[:, 1],
        }
        for scorer, p in preds.items():
            rows.append({"fold": k, "scorer": scorer} | churn_scores(y[te], p))
    return pd.DataFrame(rows).set_index(["fold", "scorer"])
