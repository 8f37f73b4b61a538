"""bench.scale's arithmetic: each stage's cost is the line of wall time on subscribers over
the sizes, and the projection evaluates it (literal figures)."""

from __future__ import annotations

import pytest

from bench.readme_table import _scale, _scale_projection
from bench.scale import SPARK_STAGES, STAGES, fitted_cost, projection, summary


def test_the_cost_is_the_fitted_line_and_the_projection_evaluates_it():
    sizes = [
        {"subscribers": 100_000, "stages": {"train": {"wall_s": 30.0}}},
        {"subscribers": 1_000_000, "stages": {"train": {"wall_s": 120.0}}},
    ]
    cost = fitted_cost(sizes, "stages", ("train",))
    # (120 - 30) s / 900,000 subscribers, and 30 s - 100,000 x 1e-4 s fixed
    assert cost["train"]["per_subscriber_s"] == pytest.approx(1e-4)
    assert cost["train"]["fixed_s"] == pytest.approx(20.0)
    spark = {"score_spark": {"per_subscriber_s": 2e-5, "fixed_s": 60.0}}
    out = projection(cost, spark, executor_cores=4)
    # 20 s + 30M x 1e-4 s = 3,020 s
    assert out["30000000"]["machine_hours"] == pytest.approx(3020 / 3600, abs=0.01)
    # (60 s + 60M x 2e-5 s) in local[2] = 1,260 s x 2 cores = 0.70 core-hours, / 4 per executor
    assert out["60000000"]["spark_core_hours"] == pytest.approx(0.70, abs=0.01)
    assert out["60000000"]["spark_executor_hours"] == pytest.approx(0.175, abs=0.01)


def test_one_size_gives_the_whole_time_per_subscriber_and_a_falling_line_is_flat():
    one = fitted_cost([{"subscribers": 200_000, "s": {"a": {"wall_s": 50.0}}}], "s", ("a",))
    assert one["a"] == {"per_subscriber_s": pytest.approx(2.5e-4), "fixed_s": 0.0}
    falling = [  # a stage that does not grow, and noise
        {"subscribers": 200_000, "s": {"a": {"wall_s": 50.0}}},
        {"subscribers": 1_000_000, "s": {"a": {"wall_s": 46.0}}},
    ]
    flat = fitted_cost(falling, "s", ("a",))
    assert flat["a"] == {"per_subscriber_s": 0.0, "fixed_s": 48.0}
    assert projection(flat, None, executor_cores=2)["60000000"] == {"machine_hours": 0.01}


def test_a_failed_size_is_kept_and_left_out_of_the_fitted_lines():
    def ok(n: int, wall: float) -> dict:
        stages = {s: {"wall_s": wall, "peak_rss_mb": 100} for s in STAGES}
        spark = {s: {"wall_s": wall, "peak_rss_mb": 100} for s in SPARK_STAGES}
        return {"subscribers": n, "stages": stages, "spark_stages": spark}

    failed = {
        "subscribers": 1_000_000,
        "stages": {"generate": {"wall_s": 9.0, "peak_rss_mb": 100}},
        "error": "retain clean failed (1), /tmp/x.log:\ntail",
    }
    no_spark = ok(400_000, 20.0) | {"spark_error": "retain train failed (1)"}
    d = summary([ok(200_000, 10.0), no_spark, failed], spark=True)
    assert [r["subscribers"] for r in d["sizes"]] == [200_000, 400_000, 1_000_000]
    assert d["fitted_cost"]["train"]["per_subscriber_s"] == pytest.approx(10.0 / 200_000)
    assert d["spark_fitted_cost"]["train_spark"] == {  # one size: all of it per subscriber
        "per_subscriber_s": pytest.approx(5e-5),
        "fixed_s": 0.0,
    }
    row = _scale(d)
    assert "1,000,000: generate 9 s / 100 MiB; FAILED: retain clean failed (1)" in row
    assert "400,000" in row and "FAILED: retain train failed (1)" in row
    assert summary([failed], spark=True)["projection"] is None


def test_spark_at_one_size_only_is_fitted_on_it_but_not_projected():
    def row(n: int, wall: float, spark: bool) -> dict:
        stages = {s: {"wall_s": wall, "peak_rss_mb": 100} for s in STAGES}
        out = {"subscribers": n, "stages": stages}
        if spark:
            out["spark_stages"] = {
                s: {"wall_s": 2 * wall, "peak_rss_mb": 100} for s in SPARK_STAGES
            }
        return out

    d = summary([row(200_000, 10.0, True), row(1_000_000, 30.0, False)], spark=True)
    # the local lines go through both sizes; Spark's comes from the one size it ran at
    assert d["fitted_cost"]["train"]["per_subscriber_s"] == pytest.approx(20.0 / 800_000)
    assert d["spark_fitted_cost"]["train_spark"] == {
        "per_subscriber_s": pytest.approx(20.0 / 200_000),
        "fixed_s": 0.0,
    }
    one = _scale_projection(d)
    assert "Spark not projected: measured at one size (200,000)" in one
    assert "executor-hours" not in one and "30M: " in one  # the local lines still project
    both = summary([row(200_000, 10.0, True), row(1_000_000, 30.0, True)], spark=True)
    assert "Spark not projected" not in _scale_projection(both)
    assert "executor-hours" in _scale_projection(both)
