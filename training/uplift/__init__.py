"""Offer uplift learnt from randomised campaigns: the learners (`learners`, `pooled`, `dr`)
and the choice between them (`choice`), the campaign rows (`data`), Qini and AUUC
(`metrics`, `evaluation`), training and registration (`pipeline`), a campaign table the
user brings (`table`, `table_run`) and `retain train-uplift` (`cli`).

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "OfferUplift": "training.uplift.learners",
        "UpliftConfig": "training.uplift.learners",
        "PooledSaveRate": "training.uplift.pooled",
        "DRUplift": "training.uplift.dr",
        "choose_learner": "training.uplift.choice",
        "train_uplift": "training.uplift.pipeline",
        "UpliftTrainConfig": "training.uplift.pipeline",
        "qini_coefficient": "training.uplift.metrics",
        "expected_qini": "training.uplift.metrics",
        "auuc": "training.uplift.metrics",
        "CampaignTableSpec": "training.uplift.table",
        "TableUplift": "training.uplift.table",
        "TableUpliftConfig": "training.uplift.table",
        "prepare_campaign": "training.uplift.table",
        "train_uplift_table": "training.uplift.table_run",
    },
)
