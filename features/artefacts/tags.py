"""The names training writes and serving reads in the MLflow store, declared once.

Model-version tags, run metric keys and artefact paths are the contract between the two
sides beyond the model files themselves (`calibration`, `uplift`, `digests`): training
writes them through these names and serving reads them through the same names, so no two
string literals have to agree.
"""

from __future__ import annotations

from features.artefacts.digests import DIGEST_TAG

# Model-version tags
SCHEMA_TAG = "feature_schema_version"  # the feature schema the version was trained on
RUN_ID_TAG = "run_id"  # the training run that logged the version
TEST_AS_OF_TAG = "test_as_of"  # the test snapshot it was evaluated on (ISO date)
COMPARED_CHAMPION_TAG = "compared_champion_version"  # the champion scored beside it
SNAPSHOT_TAG = "snapshot_config"  # JSON: lookback and eligibility scoring must reuse
PROMOTION_CHECK_TAG = "promotion_check"  # the promotion rule's verdict at training
MARGIN_TAG = "margin_config"  # JSON (churn model): cost rates lifetime value is taken with

# The training run's sample of training vectors: what scoring reports measure drift against.
REFERENCE_DIR = "reference"
REFERENCE_FILE = "features.parquet"
REFERENCE_ARTEFACT = f"{REFERENCE_DIR}/{REFERENCE_FILE}"

__all__ = [
    "COMPARED_CHAMPION_TAG",
    "DIGEST_TAG",
    "MARGIN_TAG",
    "PROMOTION_CHECK_TAG",
    "REFERENCE_ARTEFACT",
    "REFERENCE_DIR",
    "REFERENCE_FILE",
    "RUN_ID_TAG",
    "SCHEMA_TAG",
    "SNAPSHOT_TAG",
    "TEST_AS_OF_TAG",
    "test_metric",
]


def test_metric(kind: str, scorer: str, metric: str) -> str:
    """The run metric of `metric` for `scorer` (model, baseline, champion) of `kind` (churn,
    value) on the test snapshot, e.g. `test_churn_model_roc_auc`."""
    return f"test_{kind}_{scorer}_{metric}"


test_metric.__test__ = False  # a metric name, not a pytest test
