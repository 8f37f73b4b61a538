"""Serve the pinned models: one scoring path (`scoring.score_columns`) and one decision
layer (`decision`) for the BentoML service (`service`, edges in `server/`) and the batch job
(`batch/`). Serving loads what training registered and never imports training.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "load_models": "serving.registry",
        "Models": "serving.registry",
        "ModelLoadError": "serving.registry",
        "score": "serving.scoring",
        "score_columns": "serving.scoring",
        "ANSWER_SCHEMA": "serving.answer",
        "ANSWER_COLUMNS": "serving.answer",
        "DecisionPolicy": "serving.decision",
        "plan_campaign": "serving.decision",
        "open_store": "serving.online_store",
        "materialise": "serving.online_store",
        "StoreError": "serving.online_store",
        "ServingConfig": "serving.config",
        "start_up": "serving.startup",
        "Catalogue": "serving.catalogue",
        "Offer": "serving.catalogue",
        "past_campaigns": "serving.campaign_gain",
        "PastCampaigns": "serving.campaign_gain",
        "control_needed": "serving.campaign_gain",
        "Exploration": "serving.exploration",
        "Playbook": "serving.exploration",
        "explore": "serving.exploration",
        "language": "serving.language",
        "negotiate": "serving.language",
        "LANGUAGES": "serving.language",
        "top_reasons": "serving.reasons",
        "DRIVERS": "serving.drivers",
        "pin_models": "serving.startup",
        "StoreBusy": "serving.online_store",
    },
)
