"""The batch job: every row scored or rejected with its reason; same input, same bytes."""

import json

import numpy as np
import pandas as pd
import pytest

from features.snapshot import build_snapshot
from serving.batch import score_frame
from serving.registry import load_models
from serving.segments import VALUE_TIERS, top_share, value_tier
from tests.conftest import TINY_SCORE_AS_OF


@pytest.fixture(scope="module")
def models(tiny_trained, tmp_path_factory):
    settings, _ = tiny_trained
    return load_models(settings, dest=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def vectors(tiny_raw):
    return build_snapshot(tiny_raw, TINY_SCORE_AS_OF)


def test_bad_rows_go_to_rejects_with_reasons(models, vectors, tmp_path):
    bad = vectors.copy()
    bad["data_mb_sum_7d"] = bad["data_mb_sum_7d"].astype(object)
    bad.loc[0, "data_mb_sum_7d"] = "lots"
    bad.loc[1, "revenue_vnd_sum_30d"] = np.inf
    bad.loc[2, "subscriber_id"] = bad.loc[3, "subscriber_id"]
    result = score_frame(bad, models, tmp_path, chunk_rows=100)
    rejects = pd.read_parquet(result.rejects_path)
    assert result.rows_in == len(vectors) == result.rows_scored + result.rows_rejected
    assert rejects.reject_reason.tolist() == [
        "data_mb_sum_7d: not a number",
        "revenue_vnd_sum_30d: infinite",
        "subscriber_id: duplicate",
    ]
    recon = json.loads((tmp_path / "reconciliation.json").read_text())
    assert recon["rows_in"] == recon["rows_scored"] + recon["rows_rejected"]


def test_scores_one_row_per_subscriber_and_rerun_is_identical(models, vectors, tmp_path):
    a = score_frame(vectors, models, tmp_path / "a", chunk_rows=97)
    b = score_frame(vectors, models, tmp_path / "b", chunk_rows=5000)
    scores = pd.read_parquet(a.scores_path)
    assert scores.subscriber_id.is_unique and len(scores) == len(vectors)
    assert scores.churn_probability.between(0, 1).all()
    assert set(scores.value_tier) <= set(VALUE_TIERS)
    assert a.scores_path.read_bytes() == b.scores_path.read_bytes()
    assert not list(tmp_path.rglob("*.tmp"))


def test_value_tiers_follow_thresholds():
    v = pd.Series([600_000, 300_000, 100_000, 20_000, 1_000, 300_000.0])
    tenure = pd.Series([400, 400, 400, 400, 400, 30.0])
    assert value_tier(v, tenure).tolist() == [
        "super",
        "large",
        "medium",
        "small",
        "inactive",
        "potential",
    ]


def test_top_share():
    assert top_share([80, 5, 5, 5, 5]) == pytest.approx(0.8)
    assert top_share(np.ones(100)) == pytest.approx(0.2)
