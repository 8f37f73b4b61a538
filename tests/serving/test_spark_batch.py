"""The Spark batch job (local mode) gives the local batch job's rows: same scores, same
rejects with the same reasons, and a reconciliation that holds."""

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.spark_engine import local_session
from serving.batch.chunks import BatchConfig, score_parquet
from serving.batch.spark import score_spark

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    # mapInPandas runs Python workers: `spark_session` points them at this interpreter
    session = local_session(threads=2, shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def vectors_path(tiny_vectors, tmp_path_factory):
    """The tiny snapshot with three bad rows: no snapshot date, an infinity, and a
    duplicated id in another chunk (the later occurrence is the one rejected)."""
    bad = tiny_vectors.copy()
    bad["as_of"] = bad["as_of"].astype(object)
    bad.loc[0, "as_of"] = None
    bad.loc[1, "revenue_vnd_sum_30d"] = np.inf
    bad.loc[500, "subscriber_id"] = bad.loc[3, "subscriber_id"]
    path = tmp_path_factory.mktemp("spark_in") / "vectors.parquet"
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), path)
    return path


def by_id(table: pa.Table) -> list[dict]:
    """Rows in id order; NaN (no offer gain, say) as None, since NaN never equals itself."""
    rows = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in table.to_pylist()
    ]
    return sorted(rows, key=lambda r: (r["subscriber_id"], r.get("reject_reason") or ""))


def test_spark_rows_equal_local_rows(spark, tiny_models, vectors_path, tmp_path):
    config = BatchConfig(chunk_rows=300, reasons=True)  # `--reasons`: every row its own
    local = score_parquet(vectors_path, tiny_models, tmp_path / "local", config)
    on_spark = score_spark(spark, vectors_path, tiny_models, tmp_path / "spark", config)

    local_scores = by_id(pq.read_table(local.scores_path))
    spark_scores = by_id(pq.read_table(on_spark.scores_path))
    assert len(local_scores) == on_spark.rows_scored == local.rows_scored
    assert spark_scores == local_scores
    assert all(len(r["reasons"]) <= 3 for r in spark_scores)  # none when nothing raises risk

    spark_rejects = by_id(pq.read_table(on_spark.rejects_path))
    assert spark_rejects == by_id(pq.read_table(local.rejects_path))
    assert sorted(r["reject_reason"] for r in spark_rejects) == [
        "as_of: missing",
        "revenue_vnd_sum_30d: infinite",
        "subscriber_id: duplicate",
    ]

    recon = json.loads((tmp_path / "spark" / "reconciliation.json").read_text())
    assert recon["rows_in"] == recon["rows_scored"] + recon["rows_rejected"] == local.rows_in
    assert recon["rows_rejected"] == 3
    assert recon["reject_counts"] == {
        "as_of": 1,
        "revenue_vnd_sum_30d": 1,
        "subscriber_id": 1,
    }
    assert recon["tier_counts"] == local.tier_counts
    assert recon["revenue_top20_share"] == pytest.approx(local.revenue_top20_share, rel=1e-6)
    assert recon["predicted_value_top20_share"] == pytest.approx(
        local.predicted_value_top20_share, rel=1e-6
    )
    assert recon["churn_model_version"] == tiny_models.churn.ref


def test_spark_runs_the_whole_job_with_offers(
    spark, offer_models, vectors_path, tiny_vectors, tmp_path
):
    """Offers, the campaign list with its control group, the reconciliation and the report
    are those of the local job, row for row."""
    from dataclasses import replace

    from serving.batch.report import SECTIONS
    from serving.decision import DecisionPolicy

    config = BatchConfig(
        chunk_rows=300,
        policy=DecisionPolicy(budget_vnd=2_000_000, control_share=0.2, campaign_id="RET-T"),
        reference=tiny_vectors.head(400),
    )
    local = score_parquet(vectors_path, offer_models, tmp_path / "local", config)
    on_spark = score_spark(spark, vectors_path, offer_models, tmp_path / "spark", replace(config))

    assert by_id(pq.read_table(on_spark.scores_path)) == by_id(pq.read_table(local.scores_path))
    offered = [r for r in by_id(pq.read_table(on_spark.scores_path)) if r["best_offer"]]
    assert offered, "the uplift model proposes offers on Spark too"

    campaign_local = pq.read_table(tmp_path / "local" / "campaign.parquet").to_pylist()
    campaign_spark = pq.read_table(tmp_path / "spark" / "campaign.parquet").to_pylist()
    assert campaign_spark == campaign_local
    # Reasons for the campaign rows only (the default): read back from the input on both.
    assert all(r["reasons"] is not None for r in campaign_spark)
    assert all(r is None for r in pq.read_table(on_spark.scores_path)["reasons"].to_pylist())
    groups = {r["group"] for r in campaign_spark}
    assert groups == {"treatment", "control"}
    assert on_spark.campaign == local.campaign and local.campaign["contacted"] > 0
    assert (tmp_path / "spark" / "campaign.csv").read_text() == (
        tmp_path / "local" / "campaign.csv"
    ).read_text()

    page = (tmp_path / "spark" / "report.html").read_text()
    assert all(s in page for s in SECTIONS)
    assert page == (tmp_path / "local" / "report.html").read_text()


def test_spark_plans_the_exploration_campaign_and_shows_the_measured_gain(
    spark, tiny_models, tiny_raw, vectors_path, tmp_path
):
    """Without an uplift model, the Spark job plans the local job's exploration campaign
    (with the control group the power calculation asks for) and its report shows the past
    campaigns measured before scoring, page for page."""
    from serving.batch.campaign_measure import measure_past
    from serving.catalogue import Catalogue
    from serving.decision import DecisionPolicy
    from serving.exploration import Exploration, Playbook
    from tests.conftest import TINY_SCORE_AS_OF

    catalogue = Catalogue.from_toml()
    pages = {}
    for engine in ("local", "spark"):
        out = tmp_path / engine
        past = measure_past(tiny_raw, out, TINY_SCORE_AS_OF, 0.2)
        assert past is not None and past.last is not None and past.min_control > 1
        policy = DecisionPolicy(
            budget_vnd=1_000_000,
            control_share=0.2,
            campaign_id="RET-X",
            min_control=past.min_control,
            exploration=Exploration(catalogue, Playbook.from_toml(None, catalogue), vectors_path),
        )
        config = BatchConfig(chunk_rows=300, policy=policy)
        if engine == "local":
            result = score_parquet(vectors_path, tiny_models, out, config)
        else:
            result = score_spark(spark, vectors_path, tiny_models, out, config)
        assert result.campaign["purpose"] == "exploration" and result.campaign["contacted"] > 0
        pages[engine] = (out / "report.html").read_text()
    local, on_spark = (
        pq.read_table(tmp_path / e / "campaign.parquet").to_pylist() for e in ("local", "spark")
    )
    assert on_spark == local
    assert any(r["group"] == "control" for r in on_spark)
    assert all(r["purpose"] == "exploration" for r in on_spark)
    assert pages["spark"] == pages["local"]
    assert str(past.last["campaign_id"]) in pages["spark"]  # the measured gain's section
