"""The batch job: every row scored or rejected with its reason, chunk borders included;
same input, same bytes; the answer equals the one scoring path's."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from serving.batch.chunks import BatchConfig, score_frame, score_parquet
from serving.scoring import ANSWER_COLUMNS, score, score_columns, to_arrow
from serving.segments import RELATIONSHIP_STATES, RISK_BANDS, VALUE_TIERS


def test_bad_rows_go_to_rejects_with_reasons(tiny_models, tiny_vectors, tmp_path):
    bad = tiny_vectors.copy()
    bad["data_mb_sum_7d"] = bad["data_mb_sum_7d"].astype(object)
    bad.loc[0, "data_mb_sum_7d"] = "lots"
    bad.loc[1, "revenue_vnd_sum_30d"] = np.inf
    bad.loc[500, "subscriber_id"] = bad.loc[3, "subscriber_id"]  # a duplicate two chunks later
    result = score_frame(bad, tiny_models, tmp_path, BatchConfig(chunk_rows=100))
    rejects = pd.read_parquet(result.rejects_path)
    assert result.rows_in == len(bad) == result.rows_scored + result.rows_rejected
    assert rejects.reject_reason.tolist() == [
        "data_mb_sum_7d: not a number",
        "revenue_vnd_sum_30d: infinite",
        "subscriber_id: duplicate",
    ]
    assert rejects.subscriber_id.tolist() == [
        bad.subscriber_id[0],
        bad.subscriber_id[1],
        bad.subscriber_id[3],
    ]
    recon = json.loads((tmp_path / "reconciliation.json").read_text())
    assert recon["rows_in"] == recon["rows_scored"] + recon["rows_rejected"] == len(bad)
    assert recon["reject_counts"] == {
        "data_mb_sum_7d": 1,
        "revenue_vnd_sum_30d": 1,
        "subscriber_id": 1,
    }


def test_rerun_is_identical_and_chunking_does_not_change_rows(tiny_models, tiny_vectors, tmp_path):
    every = BatchConfig(chunk_rows=97, reasons=True)  # `--reasons`: every row its own
    a = score_frame(tiny_vectors, tiny_models, tmp_path / "a", every)
    b = score_frame(tiny_vectors, tiny_models, tmp_path / "b", every)
    c = score_frame(tiny_vectors, tiny_models, tmp_path / "c", replace(every, chunk_rows=5000))
    assert a.scores_path.read_bytes() == b.scores_path.read_bytes()
    scores = pd.read_parquet(a.scores_path)
    pd.testing.assert_frame_equal(scores, pd.read_parquet(c.scores_path))
    assert list(scores.columns) == list(ANSWER_COLUMNS)
    assert scores.subscriber_id.is_unique and len(scores) == len(tiny_vectors)
    assert scores.churn_probability.between(0, 1).all()
    assert set(scores.value_tier) <= set(VALUE_TIERS)
    assert set(scores.risk_band) <= set(RISK_BANDS)
    assert set(scores.relationship_state) <= set(RELATIONSHIP_STATES)
    # Only drivers that raise risk are reasons, context never: a safe subscriber may have none.
    assert scores.reasons.map(len).between(0, 3).all()
    assert scores.reasons.map(len).gt(0).mean() > 0.9
    assert scores.best_offer.isna().all()
    assert not list(tmp_path.rglob("*.tmp"))


def test_parquet_input_streams_to_the_same_rows(tiny_models, tiny_vectors, tmp_path):
    path = tmp_path / "vectors.parquet"
    pq.write_table(pa.Table.from_pandas(tiny_vectors, preserve_index=False), path)
    config = BatchConfig(chunk_rows=128, reasons=True)
    streamed = score_parquet(path, tiny_models, tmp_path / "s", config)
    cols = {c: tiny_vectors[c].to_numpy() for c in tiny_vectors.columns}
    whole = to_arrow(score_columns(cols, tiny_models)).to_pylist()
    assert pq.read_table(streamed.scores_path).to_pylist() == whole


def test_churn_probability_is_calibrated(tiny_models, tiny_vectors):
    from dataclasses import replace

    from features.artefacts.calibration import Calibration

    flat = Calibration(method="isotonic", x=(0.0, 1.0), y=(0.25, 0.25))
    models = replace(tiny_models, churn=replace(tiny_models.churn, calibration=flat))
    out = score(tiny_vectors.head(5), models, reasons=False)
    assert out.churn_probability.tolist() == [0.25] * 5
    assert out.risk_band.tolist() == ["medium"] * 5


def test_chunk_rows_must_be_positive():
    with pytest.raises(ValueError, match="batch.chunk_rows: must be at least 1"):
        BatchConfig(chunk_rows=0)


def test_without_reasons_the_campaign_rows_still_get_theirs(offer_models, tiny_vectors, tmp_path):
    """By default (`--no-reasons`) the scores carry none, the campaign list's rows the very reasons
    a run with reasons for every row gives them, from a frame and from a Parquet file."""
    all_rows = BatchConfig(chunk_rows=300, reasons=True)  # `--reasons`: every row its own
    every = score_frame(tiny_vectors, offer_models, tmp_path / "all", all_rows)
    path = tmp_path / "vectors.parquet"
    pq.write_table(pa.Table.from_pandas(tiny_vectors, preserve_index=False), path)
    lean = BatchConfig(chunk_rows=300, reasons=False)
    for run in (
        score_frame(tiny_vectors, offer_models, tmp_path / "frame", lean),
        score_parquet(path, offer_models, tmp_path / "file", lean),
    ):
        folder = run.scores_path.parent
        assert pd.read_parquet(run.scores_path).reasons.isna().all()
        plan = pd.read_parquet(folder / "campaign.parquet")
        full = pd.read_parquet(every.scores_path.parent / "campaign.parquet")
        assert len(plan) > 0 and plan.reasons.notna().all()
        assert plan.drop(columns="reasons").equals(full.drop(columns="reasons"))
        assert plan.reasons.map(list).tolist() == full.reasons.map(list).tolist()
