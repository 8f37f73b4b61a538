"""Serve the pinned models: one scoring path (`scoring.score_columns`) and one decision
layer (`decision`) for the BentoML service (`service`, edges in `server/`) and the batch job
(`batch/`). Serving loads what training registered and never imports training.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

import importlib

_API = {
    "load_models": "serving.registry",
    "Models": "serving.registry",
    "ModelLoadError": "serving.registry",
    "score": "serving.scoring",
    "score_columns": "serving.scoring",
    "ANSWER_SCHEMA": "serving.answer",
    "ANSWER_COLUMNS": "serving.answer",
    "Catalogue": "serving.decision",
    "Offer": "serving.decision",
    "DecisionPolicy": "serving.decision",
    "plan_campaign": "serving.decision",
    "open_store": "serving.online_store",
    "materialise": "serving.online_store",
    "StoreError": "serving.online_store",
    "ServingConfig": "serving.config",
    "start_up": "serving.startup",
    "pin_models": "serving.startup",
    "StoreBusy": "serving.online_store",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
