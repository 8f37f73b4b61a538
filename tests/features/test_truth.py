"""The synthetic operator's truth: kept apart, calibrated against the data it generated, and
its offer effects matching what the randomised campaigns show."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features.contract.schema import SchemaError
from features.contract.sources import read_table
from features.snapshot import build_snapshot, connect
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import TRUTH_TABLES, read_truth

LABELLED = [date(2025, m, 1) for m in range(2, 9)]  # the tiny operator's labelled months
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def labelled(tiny_raw):
    """Eligible subscribers of every labelled month with labels, truth and campaign arm."""
    truth = tiny_raw.parent / "truth"
    con = connect(tiny_raw)
    frame = pd.concat([build_snapshot(con, t, labels=True) for t in LABELLED])
    frame = frame.merge(read_truth(truth, "churn_probability"), on=["subscriber_id", "as_of"])
    frame = frame.merge(read_truth(truth, "future_value"), on=["subscriber_id", "as_of"])
    camp = read_table(tiny_raw, "campaigns")
    treated = camp[camp.group == "treatment"].assign(as_of=camp.sent_ts.dt.date)
    keys = set(zip(treated.subscriber_id, treated.as_of, strict=True))
    in_arm = [k in keys for k in zip(frame.subscriber_id, frame.as_of, strict=True)]
    return frame.assign(treated=in_arm)


def test_truth_tables_have_their_schema_and_grain(tiny_raw):
    truth = tiny_raw.parent / "truth"
    churn = read_truth(truth, "churn_probability")
    offers = read_truth(truth, "offer_effect")
    assert list(churn.columns) == TRUTH_TABLES["churn_probability"].names
    assert sorted(churn.as_of.unique()) == [date(2025, m, 1) for m in range(2, 11)]
    assert not churn.duplicated(["subscriber_id", "as_of"]).any()
    assert churn.churn_probability_30d.between(0, 1).all()
    assert len(offers) == 4 * len(churn)
    assert set(offers.uplift_type) == {"persuadable", "sure_thing", "lost_cause", "sleeping_dog"}
    assert (offers.cost_vnd >= 0).all() and (offers.cost_vnd <= 80_000).all()


def test_reading_an_unknown_or_absent_truth_table_fails_clearly(tmp_path):
    with pytest.raises(KeyError, match="truth table 'labels' is not one of"):
        read_truth(tmp_path, "labels")
    with pytest.raises(SchemaError, match="future_value: no .*/future_value/\\*.parquet"):
        read_truth(tmp_path, "future_value")


def test_true_churn_probability_is_calibrated(labelled):
    """Untreated subscribers' observed label rate equals the mean true probability."""
    u = labelled[~labelled.treated]
    observed, expected = u.churned_30d.mean(), u.churn_probability_30d.mean()
    se = np.sqrt(expected * (1 - expected) / len(u))
    assert abs(observed - expected) < 3 * se, (observed, expected, se)
    # and within probability bands, not only on average: each band's label rate within three
    # standard errors of its mean true probability (a Poisson-binomial: the variance is the
    # sum of p(1-p)), so a band of small probabilities is held to its own small spread.
    band = pd.cut(u.churn_probability_30d, [0, 0.05, 0.3, 1.0], include_lowest=True)
    p = u.churn_probability_30d
    by_band = (
        u.assign(var=p * (1 - p))
        .groupby(band, observed=True)
        .agg(
            n=("churned_30d", "size"),
            observed=("churned_30d", "mean"),
            expected=("churn_probability_30d", "mean"),
            var=("var", "sum"),
        )
    )
    assert len(by_band) == 3 and (by_band.n >= 30).all(), by_band
    se = np.sqrt(by_band["var"]) / by_band.n
    assert ((by_band.observed - by_band.expected).abs() < 3 * se).all(), by_band.assign(se=se)


def test_the_oracle_ranks_better_than_recency(labelled):
    oracle = roc_auc_score(labelled.churned_30d, labelled.churn_probability_30d)
    recency = roc_auc_score(labelled.churned_30d, labelled.days_since_last_billable.fillna(999))
    assert oracle > recency + 0.03 and oracle > 0.9


def test_expected_value_matches_realised_revenue(labelled):
    ratio = labelled.value_vnd_90d.sum() / labelled.expected_value_vnd_90d.sum()
    assert 0.95 < ratio < 1.05
    assert np.corrcoef(labelled.value_vnd_90d, labelled.expected_value_vnd_90d)[0, 1] > 0.8


@pytest.fixture(scope="module")
def campaign_heavy(tmp_path_factory):
    """An operator whose campaigns target 15% of the base, for tight uplift estimates."""
    raw = tmp_path_factory.mktemp("campaigns") / "raw"
    cfg = GeneratorConfig(subscribers=6000, months=6, seed=5, campaign_share=0.15)
    generate_operator(cfg, raw)
    con = connect(raw)
    camp = read_table(raw, "campaigns").assign(as_of=lambda c: c.sent_ts.dt.date)
    months = sorted(camp.as_of.unique())[:3]  # labels need 90 days of data
    labels = pd.concat([build_snapshot(con, t, labels=True) for t in months])
    rows = camp.merge(labels[["subscriber_id", "as_of", "churned_30d"]], on=["subscriber_id",
                      "as_of"])  # fmt: skip
    truth = raw.parent / "truth"
    rows = rows.merge(read_truth(truth, "churn_probability"), on=["subscriber_id", "as_of"])
    return rows.merge(read_truth(truth, "offer_effect"), on=["subscriber_id", "as_of", "offer_id"])


def test_campaign_uplift_in_the_data_matches_the_truth(campaign_heavy):
    r = campaign_heavy
    treat, ctrl = r[r.group == "treatment"], r[r.group == "control"]
    assert len(ctrl) > 300
    # Each arm's observed churn equals its true probability (treated: of the offer it got).
    for arm, p in (
        (treat, treat.churn_probability_30d_treated),
        (ctrl, ctrl.churn_probability_30d),
    ):
        se = np.sqrt(p.mean() * (1 - p.mean()) / len(arm))
        assert abs(arm.churned_30d.mean() - p.mean()) < 3 * se
    observed = ctrl.churned_30d.mean() - treat.churned_30d.mean()
    true = (r.churn_probability_30d - r.churn_probability_30d_treated).mean()
    assert true > 0.002 and abs(observed - true) < 0.03, (observed, true)


def test_uplift_types_behave_as_named(campaign_heavy):
    r = campaign_heavy.assign(
        uplift=lambda d: d.churn_probability_30d - d.churn_probability_30d_treated
    )
    by_type = r.groupby("uplift_type").uplift.mean()
    assert by_type["persuadable"] > 0.005 and by_type["sleeping_dog"] < 0
    assert by_type["sure_thing"] == by_type["lost_cause"] == 0.0
    base = r.groupby("uplift_type").churn_probability_30d.mean()
    assert base["lost_cause"] > 2 * base["sure_thing"]


def test_only_the_generator_and_evaluation_read_the_truth():
    allowed = {
        "synthetic/__init__.py",  # names read_truth in its public API
        "synthetic/generator.py",
        "synthetic/simulation.py",
        "synthetic/truth.py",
        "contract/doc.py",
    }
    readers = [
        str(p.relative_to(ROOT / pkg))
        for pkg in ("features", "training", "serving")
        for p in sorted((ROOT / pkg).rglob("*.py"))
        if re.search(r"features\.synthetic\.truth|read_truth", p.read_text())
        and str(p.relative_to(ROOT / pkg)) not in allowed
    ]
    assert readers == []
