"""Estimators for churn and future value, and the baselines they must beat.

They follow scikit-learn's contract (keyword-only `__init__` that only stores, `fit`
returns self, fitted attributes end in `_`). The fitted LightGBM Booster (`booster_`) is
what gets logged, in LightGBM's native text format.
"""

from __future__ import annotations

from dataclasses import replace

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.artefacts.btyd import base_margin, btyd_columns, value_prediction
from features.labels import trailing_revenue_vnd_90d
from features.vector import model_frame
from training.btyd import BTYDModel
from training.config import ChurnConfig, ValueConfig


def booster_params(cfg, seed: int, threads: int) -> dict:
    """LightGBM settings shared by every Retain booster of a ChurnConfig or ValueConfig:
    deterministic, row-wise, quiet; the caller adds the objective."""
    return {
        "num_leaves": cfg.num_leaves,
        "learning_rate": cfg.learning_rate,
        "min_data_in_leaf": cfg.min_data_in_leaf,
        "feature_fraction": cfg.feature_fraction,
        "bagging_fraction": cfg.bagging_fraction,
        "bagging_freq": 1,
        "lambda_l2": cfg.lambda_l2,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": threads,
        "verbosity": -1,
    }


LOG_LINK = ("tweedie", "gamma", "poisson")  # objectives whose raw score is log(mean)


class _Booster:
    def input_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The booster's input: the feature vector (value models add their BTYD forecasts)."""
        return model_frame(X)

    def _train(
        self, params: dict, X, y, X_val, y_val, rounds: int, patience: int,
        w=None, w_val=None, init=None,
    ) -> None:  # fmt: skip
        """`w`, `w_val`: per-row weights (a sample's inverse inclusion probabilities); `init`:
        a function of rows giving each row's init score (a base margin), or None."""
        scores = (None, None) if init is None else (init(X), init(X_val))
        train = lgb.Dataset(
            self.input_frame(X), label=y, weight=w, init_score=scores[0], free_raw_data=True
        )
        valid = lgb.Dataset(
            self.input_frame(X_val), label=y_val, weight=w_val, init_score=scores[1],
            reference=train,
        )  # fmt: skip
        self.booster_ = lgb.train(
            params,
            train,
            num_boost_round=rounds,
            valid_sets=[valid],
            callbacks=[lgb.early_stopping(patience, verbose=False)],
        )
        self.best_iteration_ = self.booster_.best_iteration

    def raw_predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.booster_.predict(self.input_frame(X), num_iteration=self.best_iteration_)


class ChurnModel(_Booster):
    """LightGBM binary classifier of churn within the horizon."""

    def __init__(self, *, config: ChurnConfig = ChurnConfig(), seed: int = 7, threads: int = 2):
        self.config = config
        self.seed = seed
        self.threads = threads

    def fit(self, X: pd.DataFrame, y, X_val: pd.DataFrame, y_val, sample_weight=None) -> ChurnModel:
        """`sample_weight`: per training row (inverse inclusion probability), or None."""
        params = booster_params(self.config, self.seed, self.threads) | {
            "objective": "binary",
            "metric": "binary_logloss",
        }
        cfg = self.config
        self._train(
            params, X, y, X_val, y_val, cfg.max_rounds, cfg.early_stopping_rounds, sample_weight
        )
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Churn probability per row."""
        return self.raw_predict(X)


class ValueModel(_Booster):
    """LightGBM regressor of revenue over the value horizon (Tweedie by default: many zeros
    and a heavy right tail), in VND.

    With `config.btyd`, BG/NBD + Gamma-Gamma (`training.btyd`) are fitted on the training
    rows first, over `horizon_days` (the horizon the label covers: no scaling), and their
    forecasts (`features.artefacts.btyd.BTYD_COLUMNS`) are features of the booster; their
    parameters (`btyd_`) are logged beside it and serving evaluates the same closed forms.

    With `config.btyd_base_margin` as well (the default), the booster also starts from the
    BTYD forecast: its init score is log(btyd_value_vnd_h), so with the log link of the
    Tweedie (or Gamma, Poisson) objective its trees learn multiplicative corrections to
    BG/NBD + Gamma-Gamma, and the answer is exp(trees) x forecast
    (`features.artefacts.btyd.value_prediction`). Why a base margin rather than a blend of
    the two forecasts: the base margin nests both ends in one fit — no tree is BTYD itself,
    many trees are a free LightGBM model — and early stopping on the validation snapshot
    (later than every training snapshot, inside the training data: the same rolling-origin
    check a time-series cross-validated blend weight would make) decides how far the trees
    move away from BTYD, per subscriber rather than with one global weight; a blend would
    add weights learnt on a second set of inner windows the short histories this model
    meets (CDNOW: a few monthly snapshots) do not have."""

    def __init__(
        self,
        *,
        config: ValueConfig = ValueConfig(),
        seed: int = 7,
        threads: int = 2,
        horizon_days: int = 90,
    ):
        self.config = config
        self.seed = seed
        self.threads = threads
        self.horizon_days = horizon_days

    def input_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = model_frame(X)
        if getattr(self, "btyd_", None) is None:
            return frame
        return frame.assign(**btyd_columns(X, self.btyd_))

    def fit(self, X: pd.DataFrame, y, X_val: pd.DataFrame, y_val, sample_weight=None) -> ValueModel:
        """`sample_weight`: per training row (inverse inclusion probability), or None."""
        cfg = self.config
        self.btyd_ = None
        if cfg.btyd_base_margin and cfg.objective not in LOG_LINK:
            raise ValueError(
                f"value.btyd_base_margin: needs a log-link objective {LOG_LINK}, "
                f"got value.objective '{cfg.objective}'"
            )
        if cfg.btyd:
            params = BTYDModel(horizon_days=self.horizon_days).fit(X, sample_weight).params_
            self.btyd_ = replace(params, base_margin=cfg.btyd_base_margin)
        init = None
        if self.btyd_ is not None and self.btyd_.base_margin:
            init = lambda rows: base_margin(rows, self.btyd_)  # noqa: E731
        params = booster_params(cfg, self.seed, self.threads) | {"objective": cfg.objective}
        if cfg.objective == "tweedie":
            params["tweedie_variance_power"] = cfg.tweedie_variance_power
            params["metric"] = "rmse"
        cfg = self.config
        self._train(
            params,
            X,
            y,
            X_val,
            y_val,
            cfg.max_rounds,
            cfg.early_stopping_rounds,
            sample_weight,
            init=init,
        )
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Revenue over the horizon per row, VND (with the base margin when fitted on one)."""
        # The booster predicts at its best iteration (LightGBM's default once early stopping
        # set one), as the file it is logged to does.
        return value_prediction(self.booster_, self.input_frame(X), X, self.btyd_)


class RecencyBaseline:
    """Churn rate by days since the last billable event, learnt on the training rows.

    Ranks exactly as "longer silence means more risk" where the data agree, and gives
    probabilities so Brier is comparable. Days are capped at `cap_days`; never-active is
    its own group.
    """

    def __init__(self, *, cap_days: int = 31):
        self.cap_days = cap_days

    def _key(self, X: pd.DataFrame) -> pd.Series:
        return X["days_since_last_billable"].fillna(self.cap_days + 1).clip(upper=self.cap_days + 1)

    def fit(self, X: pd.DataFrame, y, sample_weight=None) -> RecencyBaseline:
        """`sample_weight`: per row (inverse inclusion probability), or None."""
        y = np.asarray(y, dtype=float)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        parts = pd.DataFrame({"yw": y * w, "w": w}, index=X.index).groupby(self._key(X)).sum()
        rates = parts["yw"] / parts["w"]
        # Longer silence never means lower risk: make the rate monotone in the days.
        self.rates_ = rates.sort_index().cummax()
        self.prior_ = float(np.average(y, weights=w))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        key = self._key(X)
        idx = np.searchsorted(self.rates_.index.to_numpy(), key.to_numpy(), side="right") - 1
        return np.where(idx >= 0, self.rates_.to_numpy()[np.clip(idx, 0, None)], self.prior_)


class TrailingRevenueBaseline:
    """Future value = revenue of the last 90 days, scaled to the value horizon; the revenue is
    the one the value label reads (`features.labels.trailing_revenue_vnd_90d`): usage, or
    top-ups for an operator without a usage table."""

    def __init__(self, *, horizon_days: int = 90):
        self.horizon_days = horizon_days

    def fit(self, X: pd.DataFrame, y=None) -> TrailingRevenueBaseline:
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return trailing_revenue_vnd_90d(X) * self.horizon_days / 90.0


class HurdleValueModel:
    """Two-part model of zero-inflated revenue: P(revenue > 0) from a LightGBM classifier
    times E[revenue | revenue > 0] from a LightGBM Gamma regressor (log link); compared
    with the single Tweedie model in every value table."""

    def __init__(self, *, config: ValueConfig = ValueConfig(), seed: int = 7, threads: int = 2):
        self.config = config
        self.seed = seed
        self.threads = threads

    def fit(
        self, X: pd.DataFrame, y, X_val: pd.DataFrame, y_val, sample_weight=None
    ) -> HurdleValueModel:
        """`sample_weight`: per training row (inverse inclusion probability), or None."""
        y, y_val = np.asarray(y, dtype=float), np.asarray(y_val, dtype=float)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        cfg, rounds = self.config, self.config.max_rounds
        base = booster_params(cfg, self.seed, self.threads)
        self.any_ = _Booster()
        self.any_._train(
            base | {"objective": "binary"},
            X,
            (y > 0).astype(float),
            X_val,
            (y_val > 0).astype(float),
            rounds,
            cfg.early_stopping_rounds,
            w,
        )
        pos, pos_val = y > 0, y_val > 0
        self.amount_ = _Booster()
        self.amount_._train(
            base | {"objective": "gamma", "metric": "gamma"},
            X[pos],
            y[pos],
            X_val[pos_val],
            y_val[pos_val],
            rounds,
            cfg.early_stopping_rounds,
            None if w is None else w[pos],
        )
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.any_.raw_predict(X) * self.amount_.raw_predict(X)
