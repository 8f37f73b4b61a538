"""Bring your own table: a prepared churn table (one row per customer) cross-validated
against a logistic regression and logged to MLflow (`retain train-table`).

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

import importlib

_API = {
    "TableSpec": "training.table.model",
    "prepare": "training.table.model",
    "cross_validate": "training.table.model",
    "read_table": "training.table.model",
    "log_table_model": "training.table.tracking",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
