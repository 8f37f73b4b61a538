"""Bring your own table: a prepared churn table (one row per customer) cross-validated
against a logistic regression and logged to MLflow (`retain train-table`).

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "TableSpec": "training.table.model",
        "prepare": "training.table.model",
        "cross_validate": "training.table.model",
        "read_table": "training.table.model",
        "log_table_model": "training.table.tracking",
    },
)
