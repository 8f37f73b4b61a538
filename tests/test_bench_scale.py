"""bench.scale's arithmetic: the cost per subscriber is the slope over sizes, and the
projection multiplies it out (literal figures)."""

from __future__ import annotations

import pytest

from bench.scale import per_subscriber, projection


def test_cost_per_subscriber_is_the_slope_and_the_projection_multiplies_it_out():
    sizes = [
        {"subscribers": 100_000, "stages": {"train": {"wall_s": 30.0}}},
        {"subscribers": 1_000_000, "stages": {"train": {"wall_s": 120.0}}},
    ]
    cost = per_subscriber(sizes, "stages", ("train",))
    assert cost["train"] == pytest.approx(1e-4)  # (120 - 30) s / 900,000 subscribers
    out = projection(cost, {"score_spark": 2e-5}, executor_cores=4)
    assert out["30000000"]["machine_hours"] == pytest.approx(30e6 * 1e-4 / 3600, abs=0.01)
    # 60M x 2e-5 s in local[2] = 1,200 s x 2 cores = 0.67 core-hours, / 4 per executor
    assert out["60000000"]["spark_core_hours"] == pytest.approx(0.67, abs=0.01)
    assert out["60000000"]["spark_executor_hours"] == pytest.approx(0.17, abs=0.01)
