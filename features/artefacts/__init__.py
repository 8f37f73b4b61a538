"""What training writes and serving reads, declared once: calibration maps, uplift
specs, model-file digests, and the MLflow tag names and metric keys.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "Calibration": "features.artefacts.calibration",
        "UpliftModel": "features.artefacts.uplift",
        "UpliftSpec": "features.artefacts.uplift",
        "DIGEST_TAG": "features.artefacts.digests",
        "file_digests": "features.artefacts.digests",
        "SCHEMA_TAG": "features.artefacts.tags",
        "RUN_ID_TAG": "features.artefacts.tags",
        "TEST_AS_OF_TAG": "features.artefacts.tags",
        "COMPARED_CHAMPION_TAG": "features.artefacts.tags",
        "REFERENCE_ARTEFACT": "features.artefacts.tags",
        "test_metric": "features.artefacts.tags",
        "TABLE_MODEL_NAME": "features.artefacts.table_model",
        "TableColumns": "features.artefacts.table_model",
        "TableModel": "features.artefacts.table_model",
        "BTYDParams": "features.artefacts.btyd",
        "btyd_columns": "features.artefacts.btyd",
        "value_prediction": "features.artefacts.btyd",
        "MarginConfig": "features.artefacts.survival",
        "survival_from_hazards": "features.artefacts.survival",
        "lifetime_value": "features.artefacts.survival",
        "PROMOTION_CHECK_TAG": "features.artefacts.tags",
        "SNAPSHOT_TAG": "features.artefacts.tags",
    },
)
