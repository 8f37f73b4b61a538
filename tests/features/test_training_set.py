"""Training sets: cutoffs stacked with labels, and the manifest that describes them."""

from datetime import date

import pytest

from features.definitions import feature_schema_version
from features.snapshot import connect
from features.training_set import build_training_set

CUTOFFS = [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)]


@pytest.fixture(scope="module")
def stacked(tiny_raw):
    return build_training_set(connect(tiny_raw), CUTOFFS)


def test_cutoffs_stacked_in_order_with_labels(stacked):
    frame, _ = stacked
    assert sorted(frame["as_of"].unique()) == CUTOFFS
    assert {"churned_30d", "value_vnd_90d"} <= set(frame.columns)
    assert not frame.duplicated(["subscriber_id", "as_of"]).any()


def test_manifest_counts_rows_and_names_the_schema(stacked):
    frame, manifest = stacked
    assert manifest["feature_schema_version"] == feature_schema_version()
    assert [c["as_of"] for c in manifest["cutoffs"]] == ["2025-04-01", "2025-05-01", "2025-06-01"]
    assert sum(c["rows"] for c in manifest["cutoffs"]) == manifest["rows"] == len(frame)
    june = frame[frame["as_of"] == date(2025, 6, 1)]
    assert manifest["cutoffs"][2]["churn_rate"] == round(june["churned_30d"].mean(), 6)
    assert "usage_daily" in manifest["tables"] and manifest["eligibility_days"] == 30


def test_cutoffs_must_increase(tiny_raw):
    with pytest.raises(ValueError, match=r"cutoffs: must be strictly increasing"):
        build_training_set(tiny_raw, [date(2025, 5, 1), date(2025, 4, 1)])
    with pytest.raises(ValueError, match=r"cutoffs: need at least one"):
        build_training_set(tiny_raw, [])


def test_lookback_must_cover_the_windows():
    from features.snapshot import SnapshotConfig

    with pytest.raises(ValueError, match=r"SnapshotConfig\.lookback_days: must cover"):
        SnapshotConfig(lookback_days=60)
