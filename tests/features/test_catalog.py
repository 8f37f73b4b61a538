"""The generated feature catalogue: one row per feature with type, description, null share."""

from datetime import date

import pandas as pd

from features.catalog import catalog_frame, write_catalog
from features.definitions import FEATURE_NAMES, FEATURES, feature_schema_version
from features.snapshot import build_snapshot


def test_at_least_80_features_each_described_once():
    assert len(FEATURES) >= 80 and len(set(FEATURE_NAMES)) == len(FEATURES)
    assert all(f.description and "\n" not in f.description for f in FEATURES)
    assert not [n for n in FEATURE_NAMES if n.startswith("_")]


def test_catalog_null_share_is_measured_on_the_snapshot():
    snap = pd.DataFrame({n: [None, 1.0, 2.0, 3.0] for n in FEATURE_NAMES})
    cat = catalog_frame(snap).set_index("feature")
    assert cat.loc["tenure_days", "null_share"] == 0.25
    assert cat.loc["contract_type", "type"] == "categorical"
    assert cat.loc["data_mb_std_30d", "source"] == "usage_daily"


def test_write_catalog_renders_markdown(tiny_raw, tmp_path):
    path = write_catalog(
        tmp_path / "docs" / "features.md", build_snapshot(tiny_raw, date(2025, 6, 1))
    )
    lines = path.read_text().splitlines()
    assert lines[0] == f"# Feature catalogue ({feature_schema_version()})"
    rows = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(FEATURES) + 1  # header + one per feature
    assert any(r.startswith("| revenue_vnd_sum_90d | numeric | usage_daily | ") for r in rows)
