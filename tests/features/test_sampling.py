"""The training sample drawn in DuckDB from the snapshot files: stratified, seeded, weighted."""

from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd
import pytest

from features.sampling import SampleConfig
from features.training_set import sample_training_set, write_training_snapshots
from tests.conftest import TINY_TRAIN

CUTOFFS = TINY_TRAIN.cutoffs[:3]
LABEL = TINY_TRAIN.snapshot.churn_label
TOP = TINY_TRAIN.segments.large_vnd


@pytest.fixture(scope="module")
def files(tiny_raw, tmp_path_factory):
    return write_training_snapshots(tiny_raw, CUTOFFS, tmp_path_factory.mktemp("snapshots"))


def _sample(files, rows: int, seed: int = 7):
    return sample_training_set(files, [], TINY_TRAIN.snapshot, SampleConfig(rows=rows), TOP, seed)


def test_one_parquet_file_per_cutoff(files):
    assert list(files) == CUTOFFS
    for as_of, path in files.items():
        snap = pd.read_parquet(path)
        assert path.name == f"as_of={as_of.isoformat()}.parquet"
        assert pd.to_datetime(snap["as_of"]).dt.date.eq(as_of).all()
        assert snap["subscriber_id"].is_unique and LABEL in snap


def test_weights_sum_to_the_population_and_every_churner_is_kept(files):
    ts = _sample(files, rows=700)
    for as_of, path in files.items():
        whole = pd.read_parquet(path)
        part = ts.frame[ts.frame["as_of"] == as_of]
        assert len(part) == 700 < len(whole)
        assert part["sample_weight"].sum() == pytest.approx(len(whole), rel=1e-12)
        churners = set(whole.loc[whole[LABEL] == 1, "subscriber_id"])
        assert churners <= set(part["subscriber_id"])
        assert (part.loc[part[LABEL] == 1, "sample_weight"] == 1.0).all()
        top = whole["revenue_vnd_sum_90d"].fillna(whole["recharge_vnd_sum_90d"]) / 3 >= TOP
        assert set(whole.loc[top, "subscriber_id"]) <= set(part["subscriber_id"])
        assert (part["sample_weight"] > 1).any()  # the rest was sampled, and weighs more
    cut = ts.manifest["cutoffs"][0]
    assert cut["kept_whole"] and cut["sampled_rows"] == 700
    assert cut["rows"] == cut["kept_population"] + cut["rest_population"]


def test_uniform_draw_gives_everyone_the_same_inclusion_probability(files):
    ts = _sample(files, rows=700)
    for cut in ts.manifest["cutoffs"]:
        part = ts.frame[ts.frame["as_of"] == date.fromisoformat(cut["as_of"])]
        drawn = part[part["uniform_draw"]]
        # each stratum's drawn count over its population is q (up to the Bernoulli thinning)
        q, kept = cut["uniform_rate"], part["sample_weight"] == 1.0
        n_kept, n_rest = cut["kept_population"], cut["rest_population"]
        for stratum, big in ((drawn["sample_weight"] == 1.0, n_kept), (~kept[drawn.index], n_rest)):
            sd = (big * q * (1 - q)) ** 0.5
            assert abs(stratum.sum() - big * q) <= 4 * sd + 1
        assert part.loc[~kept, "uniform_draw"].all()  # the rest's rate is q itself


def test_same_seed_same_sample_and_another_seed_another(files):
    a, b, c = _sample(files, 700, seed=3), _sample(files, 700, seed=3), _sample(files, 700, seed=4)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.follow_up, b.follow_up)
    assert set(a.frame["subscriber_id"]) != set(c.frame["subscriber_id"])


def test_small_target_samples_the_kept_stratum_too(files):
    ts = _sample(files, rows=400)
    cut = ts.manifest["cutoffs"][0]
    assert not cut["kept_whole"] and cut["kept_sampled"] == 200 and cut["sampled_rows"] == 400
    part = ts.frame[ts.frame["as_of"] == CUTOFFS[0]]
    assert part["sample_weight"].sum() == pytest.approx(cut["rows"], rel=1e-12)


def test_whole_base_when_the_target_is_zero_or_larger(files):
    for rows in (0, 10_000):
        ts = _sample(files, rows)
        assert ts.manifest["sampled_rows"] == ts.manifest["rows"] == len(ts.frame)
        assert (ts.frame["sample_weight"] == 1.0).all() and ts.frame["uniform_draw"].all()


def test_follow_up_holds_every_sampled_subscriber_at_every_cutoff(files):
    ts = _sample(files, rows=700)
    ids = set(ts.frame["subscriber_id"])
    assert set(ts.follow_up["subscriber_id"]) == ids
    whole = pd.concat(pd.read_parquet(p) for p in files.values())
    expected = whole[whole["subscriber_id"].isin(ids)]
    assert len(ts.follow_up) == len(expected) > len(ts.frame)


def test_sample_rows_must_be_zero_or_at_least_100():
    with pytest.raises(ValueError, match=r"sample\.rows: need 0 \(whole base\) or at least 100"):
        SampleConfig(rows=50)
    with pytest.raises(ValueError, match=r"sample\.rows"):
        replace(TINY_TRAIN, sample=SampleConfig(rows=-1))


def test_a_memory_cap_on_duckdb_gives_the_same_snapshot_files(tiny_raw, files, tmp_path):
    capped = write_training_snapshots(tiny_raw, CUTOFFS[:1], tmp_path, memory_limit="256MB")
    pd.testing.assert_frame_equal(
        pd.read_parquet(capped[CUTOFFS[0]]), pd.read_parquet(files[CUTOFFS[0]])
    )
    assert SampleConfig().duckdb_memory == "1GB" and SampleConfig(duckdb_memory="").rows
    with pytest.raises(duckdb.OutOfMemoryException):  # the cap reaches DuckDB
        write_training_snapshots(tiny_raw, CUTOFFS[:1], tmp_path / "tiny", memory_limit="16MB")


def test_duckdb_memory_must_be_a_size():
    for bad in ("lots", "1 GBs", "1GB'; DROP", "-1GB"):
        with pytest.raises(ValueError, match=r"sample\.duckdb_memory: need a size such as 1GB"):
            SampleConfig(duckdb_memory=bad)
    assert SampleConfig(duckdb_memory="512 MiB").duckdb_memory == "512 MiB"
