"""The batch job (`retain score`): the sequence (`job`), chunked scoring (`chunks`) or Spark
(`spark`, its model set broadcast as JSON: `packed`), reconciliation (`reconcile`), the
campaign list (`campaign_files`), the report (`report`) and the output folder's atomic
writes and lock (`outputs`).

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "ScoreJob": "serving.batch.job",
        "run": "serving.batch.job",
        "summary": "serving.batch.summary",
        "JobError": "serving.batch.job",
        "BatchConfig": "serving.batch.chunks",
        "score_frame": "serving.batch.chunks",
        "score_parquet": "serving.batch.chunks",
        "BatchResult": "serving.batch.reconcile",
        "score_table": "serving.batch.table",
        "measure_past": "serving.batch.campaign_measure",
        "pack": "serving.batch.packed",
        "unpack": "serving.batch.packed",
    },
)
