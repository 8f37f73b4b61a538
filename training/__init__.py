"""Fit churn and value models (and uplift, and a table you bring), evaluate them against
baselines and the champion on later snapshots, track and register them in MLflow.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "TrainConfig": "training.config",
        "ChurnConfig": "training.config",
        "ValueConfig": "training.config",
        "PromotionConfig": "training.config",
        "TuningConfig": "training.config",
        "train": "training.pipeline",
        "fit_and_evaluate": "training.pipeline",
        "backtest": "training.backtest",
        "ChurnModel": "training.models",
        "ValueModel": "training.models",
        "booster_params": "training.models",
        "fit_calibration": "training.calibrate",
        "roc_auc": "training.metrics",
        "normalized_gini": "training.metrics",
        "expected_calibration_error": "training.metrics",
        "rmse": "training.metrics",
        "promote": "training.promotion",
        "verdict": "training.promotion",
        "PromotionRefused": "training.promotion",
        "BTYDModel": "training.btyd",
        "fit_bgnbd": "training.btyd",
        "fit_gamma_gamma": "training.btyd",
        "SurvivalModel": "training.survival",
        "person_months": "training.survival",
    },
)
