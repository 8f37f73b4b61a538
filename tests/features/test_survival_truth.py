"""The truth's survival curves: the 30-day truth at one month, non-increasing, as many months
as the calendar holds, and calibrated against the monthly churn labels of the data the
generator wrote (not the constant 30-day hazard held for m months)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.query import SnapshotConfig
from features.snapshot import build_snapshot, connect
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import TRUTH_TABLES, read_truth


def test_survival_table_grain_and_shape(tiny_raw):
    truth = tiny_raw.parent / "truth"
    s = read_truth(truth, "survival")
    churn = read_truth(truth, "churn_probability")
    assert list(s.columns) == TRUTH_TABLES["survival"].names
    assert not s.duplicated(["subscriber_id", "as_of", "months_ahead"]).any()
    assert s.survival.between(0, 1).all()
    # the tiny operator's 10 months and the world's 90 days beyond: 11 windows from February,
    # 3 from October
    months = s.groupby("as_of").months_ahead.max()
    assert months[date(2025, 2, 1)] == 11 and months[date(2025, 10, 1)] == 3
    wide = s.pivot(index=["subscriber_id", "as_of"], columns="months_ahead", values="survival")
    assert (
        np.diff(wide.to_numpy(), axis=1)[~np.isnan(np.diff(wide.to_numpy(), axis=1))] <= 1e-12
    ).all()
    one = s[s.months_ahead == 1].merge(churn, on=["subscriber_id", "as_of"], validate="one_to_one")
    assert len(one) == len(churn)
    not_feb = one[one.as_of != date(2025, 2, 1)]  # a February window reaches into March
    assert np.allclose(not_feb.survival, 1 - not_feb.churn_probability_30d, atol=1e-12)
    six = wide[wide[6].notna() & (wide[1] > 0)]
    assert (six[6] < six[1]).all()  # every subscriber who may stay may still leave later


@pytest.fixture(scope="module")
def quiet_operator(tmp_path_factory):
    """An operator that barely campaigns (offers would change the churn the truth assumes)."""
    raw = tmp_path_factory.mktemp("survival") / "raw"
    cfg = GeneratorConfig(subscribers=3000, months=8, seed=3, campaign_share=0.003)
    generate_operator(cfg, raw)
    return raw


def test_true_survival_matches_the_monthly_churn_labels(quiet_operator):
    """Of the subscribers eligible at T, the share with a 0 churn label in each of the next m
    monthly snapshots is the mean true S(m), within three standard errors (a Poisson-binomial:
    the variance is the sum of S(1-S)), at every m the data can label."""
    con = connect(quiet_operator)
    days = [date(2025, m, 1) for m in range(2, 8)]
    config = SnapshotConfig(value_horizon_days=30)
    labels = {
        d: build_snapshot(con, d, config, labels=True).set_index("subscriber_id")[
            config.churn_label
        ]
        for d in days
    }
    survival = read_truth(quiet_operator.parent / "truth", "survival")
    for origin in days[:2]:
        base = labels[origin].index
        curves = (
            survival[survival.as_of == origin]
            .pivot(index="subscriber_id", columns="months_ahead", values="survival")
            .reindex(base)
        )
        alive = pd.Series(True, index=base)
        for m, day in enumerate(days[days.index(origin) :], start=1):
            alive &= labels[day].reindex(base).eq(0)  # absent at T_m: left
            s = curves[m]
            se = np.sqrt((s * (1 - s)).sum()) / len(s)
            assert abs(alive.mean() - s.mean()) < 3 * se, (origin, m, alive.mean(), s.mean(), se)
