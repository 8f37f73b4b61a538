"""The batch job (`retain score`): the sequence (`job`), chunked scoring (`chunks`) or Spark
(`spark`), reconciliation (`reconcile`), the campaign list (`campaign_files`), the
report (`report`) and the output folder's atomic writes and lock (`outputs`).

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

import importlib

_API = {
    "ScoreJob": "serving.batch.job",
    "run": "serving.batch.job",
    "summary": "serving.batch.job",
    "JobError": "serving.batch.job",
    "BatchConfig": "serving.batch.chunks",
    "score_frame": "serving.batch.chunks",
    "score_parquet": "serving.batch.chunks",
    "BatchResult": "serving.batch.reconcile",
    "measure_past": "serving.batch.campaign_measure",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
