"""Uplift: metrics against oracles, and learners that recover a planted effect."""

import numpy as np
import pandas as pd
import pytest

from features.artefacts.uplift import UpliftModel
from features.snapshot import build_snapshot
from training.uplift.learners import OfferUplift, UpliftConfig
from training.uplift.metrics import auuc, expected_qini, qini_coefficient, qini_curve


def planted(n, rng, true_uplift):
    treated = rng.random(n) < 0.7
    p_churn = np.clip(0.3 - treated * true_uplift, 0, 1)
    return treated, (rng.random(n) > p_churn).astype(float)  # retained


def test_qini_of_perfect_and_random_rankings():
    rng = np.random.default_rng(0)
    n = 40_000
    true = np.where(rng.random(n) < 0.3, 0.25, -0.05)
    treated, retained = planted(n, rng, true)
    assert qini_coefficient(retained, treated, true) > 0.01
    assert abs(qini_coefficient(retained, treated, rng.random(n))) < 0.004
    assert auuc(retained, treated, true) > auuc(retained, treated, -true)


def test_qini_curve_literal():
    # Two treated retained, one control churned: targeting both treated first.
    x, q = qini_curve([1, 1, 0], [True, True, False], [0.9, 0.8, 0.1])
    assert x.tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert q.tolist() == pytest.approx([0, 0, 0, 2 / 3])  # R_t - R_c * N_t / N_c, over n


def test_expected_qini_literal_and_random():
    # The one persuadable first: half the total uplift after half the rows.
    assert expected_qini([0.0, 1.0], [0.1, 0.9]) == pytest.approx(0.125)
    assert expected_qini([0.0, 1.0], [0.9, 0.1]) == pytest.approx(-0.125)
    rng = np.random.default_rng(4)
    u = rng.normal(0.01, 0.05, 20_000)
    assert expected_qini(u, u) > 0.01
    assert abs(expected_qini(u, rng.random(len(u)))) < 0.001
    with pytest.raises(ValueError, match="true_uplift: no rows"):
        expected_qini([], [])


@pytest.fixture(scope="module")
def vectors(tiny_raw):
    from datetime import date

    return pd.concat(
        [build_snapshot(tiny_raw, date(2025, m, 1)) for m in (5, 6, 7)], ignore_index=True
    )


@pytest.mark.parametrize("learner", ["t", "x"])
def test_learners_recover_a_planted_effect(vectors, learner, tmp_path):
    rng = np.random.default_rng(5)
    n = len(vectors)
    persuadable = (vectors.revenue_vnd_sum_90d > vectors.revenue_vnd_sum_90d.median()).to_numpy()
    offer = rng.choice(["A", "B"], n)
    true = np.where(persuadable, np.where(offer == "A", 0.3, 0.15), -0.05)
    treated = rng.random(n) < 0.7
    churned = (rng.random(n) < np.clip(0.35 - treated * true, 0, 1)).astype(float)
    train = rng.random(n) < 0.6
    model = OfferUplift(config=UpliftConfig(learner=learner, rounds=80), threads=1).fit(
        vectors[train], offer[train], treated[train], churned[train]
    )
    pred = model.predict(vectors[~train])
    assert list(pred.columns) == ["A", "B"]
    test_true = np.where(persuadable[~train], 0.3, -0.05)
    assert np.corrcoef(pred["A"], test_true)[0, 1] > 0.5
    assert pred["A"][persuadable[~train]].mean() > pred["B"][persuadable[~train]].mean()
    m = ~train & (offer == "A")
    assert qini_coefficient(1 - churned[m], treated[m], model.predict(vectors[m])["A"]) > 0
    # The saved form (native boosters + spec) predicts the same numbers.
    loaded = UpliftModel.load(model.model_.save(tmp_path / "uplift"))
    pd.testing.assert_frame_equal(loaded.predict(vectors[~train]), pred)


def test_needs_both_arms(vectors):
    with pytest.raises(ValueError, match="treated: need both treated and control rows"):
        OfferUplift().fit(vectors.head(50), ["A"] * 50, [True] * 50, [0.0] * 50)


def test_save_rate_recovers_a_planted_share_and_ignores_a_miscalibrated_baseline():
    from training.uplift.pooled import save_rate

    rng = np.random.default_rng(3)
    n = 60_000
    p = rng.beta(1.0, 6.0, n)
    accept = rng.uniform(0.2, 0.8, n)
    treated = rng.random(n) < 0.8
    churned = rng.random(n) < np.clip(1.3 * p * (1 - treated * 0.4 * accept), 0, 1)
    # The baseline is 30% too low on this pool: that must not pass for an effect.
    rate = save_rate(churned, treated, p, accept)
    assert rate.estimate == pytest.approx(0.4, abs=3 * rate.se) and rate.se < 0.1
    assert 0 < rate.used <= rate.estimate
    # No effect: the rows cannot reject zero, so the planner gets nothing to spend on.
    null = save_rate(rng.random(n) < p, treated, p, accept)
    assert abs(null.estimate) < 3 * null.se and null.used == 0.0


def test_pooled_learner_recovers_offer_fit_and_round_trips(vectors, tmp_path):
    from training.uplift.pooled import PooledSaveRate

    rng = np.random.default_rng(11)
    n = len(vectors)
    # A planted persona-offer fit: heavy users accept A, light users accept B.
    heavy = (vectors.revenue_vnd_sum_90d > vectors.revenue_vnd_sum_90d.median()).to_numpy()
    offer = rng.choice(["A", "B"], n)
    treated = rng.random(n) < 0.8
    p_accept = np.where(heavy == (offer == "A"), 0.8, 0.1)
    accepted = treated & (rng.random(n) < p_accept)
    churned = (rng.random(n) < np.where(accepted, 0.05, 0.3)).astype(float)
    frame = vectors.assign(offer_id=offer, treated=treated, accepted=accepted, churned=churned)
    campaigns, base = frame.iloc[: n // 2], frame.iloc[n // 2 :][lambda f: ~f.treated]
    cfg = UpliftConfig(learner="s", rounds=60, baseline_rounds=60, min_data_in_leaf=20)
    model = PooledSaveRate(config=cfg, threads=1).fit(campaigns, base)
    assert model.save_rate_.used > 0.3
    pred = model.predict(vectors)
    assert list(pred.columns) == ["A", "B"] and (pred.to_numpy() >= 0).all()
    assert (pred.A > pred.B)[heavy].mean() > 0.8 and (pred.B > pred.A)[~heavy].mean() > 0.8
    loaded = UpliftModel.load(model.model_.save(tmp_path / "uplift"))
    assert loaded.spec.offers["A"][0].times == ("churn_no_offer.lgb",)
    pd.testing.assert_frame_equal(loaded.predict(vectors), pred)
    # The offers' acceptance shares (what share of their cost is paid) travel with the model.
    t = campaigns[campaigns.treated]
    want = t.groupby("offer_id")["accepted"].mean()
    assert loaded.spec.acceptance == pytest.approx(want.to_dict())
    assert 0.35 < loaded.spec.acceptance["A"] < 0.55  # half 0.8 and half 0.1


def test_acceptance_rates_literal_and_bad_spec_is_named():
    from features.artefacts.uplift import UpliftSpec
    from training.uplift.data import acceptance_rates

    rows = pd.DataFrame(
        {
            "offer_id": ["A", "A", "A", "B", "B", "A"],
            "treated": [True, True, True, True, False, False],
            "accepted": [True, False, True, False, False, False],
        }
    )
    assert acceptance_rates(rows) == {"A": 2 / 3, "B": 0.0}  # control rows do not count
    assert acceptance_rates(rows.drop(columns="accepted")) == {}
    spec = UpliftSpec("dr", {}, "v1", acceptance={"A": 0.25})
    assert UpliftSpec.from_json(spec.to_json()).acceptance == {"A": 0.25}
    assert "acceptance" not in UpliftSpec("dr", {}, "v1").to_json()  # old specs keep bytes
    bad = spec.to_json().replace("0.25", "1.5")
    with pytest.raises(ValueError, match="acceptance of 'A' is 1.5, not in"):
        UpliftSpec.from_json(bad)


def test_save_rate_is_not_swamped_by_rows_the_baseline_puts_near_zero():
    """The baseline is fitted on the untargeted base; on the targeted pool it is off row by
    row. Rows it puts near zero must not carry the estimate (inverse-variance weights gave
    them weights in the thousands: se 0.15 here, and nothing planned)."""
    from training.uplift.pooled import save_rate

    rng = np.random.default_rng(1)
    n = 50_000
    q = rng.beta(1.0, 12.0, n)  # the true risk
    accept = rng.uniform(0.2, 0.8, n)
    treated = rng.random(n) < 0.8
    churned = rng.random(n) < q * (1 - treated * 0.4 * accept)
    p = q * rng.lognormal(-0.245, 0.7, n)  # the baseline: right on average, off per row
    rate = save_rate(churned, treated, p, accept)
    assert rate.se < 0.1 and rate.used > 0.1
