"""Raw-table uplift that gets better with data: the save rate's shrinkage vanishes as the
randomised rows grow and spends nothing on no effect; the DR-learner recovers a planted
heterogeneous effect; `learner="auto"` chooses between them out of fold."""

import numpy as np
import pandas as pd
import pytest

from features.artefacts.uplift import UpliftModel
from features.snapshot import build_snapshot
from training.uplift.choice import choose_learner
from training.uplift.dr import DRUplift, pseudo_outcome
from training.uplift.learners import UpliftConfig
from training.uplift.pooled import PRIOR_SD, planned_rate, save_rate


def test_planned_rate_literals():
    # Confidently positive: the posterior mean under the fixed prior N(0, 0.5^2).
    assert planned_rate(0.4, 0.04) == pytest.approx(0.4 * 0.25 / (0.25 + 0.0016))
    # Not distinguishable from zero at one-sided 95% (0.1 < 1.645 x 0.1): nothing.
    assert planned_rate(0.1, 0.1) == 0.0
    assert planned_rate(-0.3, 0.05) == 0.0
    assert planned_rate(3.0, 0.1) == 1.0  # a share of risk: never above 1
    assert PRIOR_SD == 0.5


def test_save_rate_shrinkage_vanishes_as_the_randomised_rows_grow():
    """The same planted save rate 0.4 from 4k, 40k and 400k rows: the share of the estimate
    the planner uses grows towards 1 (the prior's weight does not grow with n)."""
    rng = np.random.default_rng(8)
    kept = []
    for n in (4_000, 40_000, 400_000):
        p = rng.beta(1.0, 6.0, n)
        accept = rng.uniform(0.2, 0.8, n)
        treated = rng.random(n) < 0.8
        churned = rng.random(n) < p * (1 - treated * 0.4 * accept)
        rate = save_rate(churned, treated, p, accept)
        kept.append(rate.used / rate.estimate if rate.used else 0.0)
        if n == 400_000:
            assert rate.estimate == pytest.approx(0.4, abs=3 * rate.se)
    assert kept[0] <= kept[1] <= kept[2] and kept[2] > 0.95


def test_pseudo_outcome_literals():
    # treated row: mu1 - mu0 + (y - mu1) / e
    assert pseudo_outcome([1.0], [1], np.array([0.6]), np.array([0.5]), 0.5)[0] == (
        pytest.approx(0.1 + 0.4 / 0.5)
    )
    # control row: mu1 - mu0 - (y - mu0) / (1 - e)
    assert pseudo_outcome([0.0], [0], np.array([0.6]), np.array([0.5]), 0.8)[0] == (
        pytest.approx(0.1 + 0.5 / 0.2)
    )


@pytest.fixture(scope="module")
def vectors(tiny_raw):
    from datetime import date

    frames = [build_snapshot(tiny_raw, date(2025, m, 1)) for m in (5, 6, 7)]
    return pd.concat(frames, ignore_index=True).copy()


def campaign_rows(vectors, seed, effect: bool) -> pd.DataFrame:
    """Heavy users are kept by offer A (churn 0.35 -> 0.05), nobody by B; acceptance tells
    nothing about who is kept (everyone accepts with 0.5), so only the churn outcome can."""
    rng = np.random.default_rng(seed)
    n = len(vectors)
    heavy = (vectors.revenue_vnd_sum_90d > vectors.revenue_vnd_sum_90d.median()).to_numpy()
    offer = rng.choice(["A", "B"], n)
    treated = rng.random(n) < 0.7
    cut = np.where(effect & treated & heavy & (offer == "A"), 0.3, 0.0)
    churned = (rng.random(n) < 0.35 - cut).astype(float)
    return vectors.assign(
        offer_id=offer, treated=treated, accepted=treated & (rng.random(n) < 0.5), churned=churned
    ).assign(heavy=heavy)


FAST = UpliftConfig(rounds=60, baseline_rounds=40, min_data_in_leaf=20)


def test_dr_learner_recovers_a_planted_heterogeneous_effect(vectors, tmp_path):
    rows = campaign_rows(vectors, 1, effect=True)
    train = np.random.default_rng(2).random(len(rows)) < 0.6
    model = DRUplift(config=FAST, threads=1).fit(rows[train])
    pred = model.predict(rows[~train])
    heavy = rows["heavy"].to_numpy()[~train]
    assert list(pred.columns) == ["A", "B"]
    assert pred["A"][heavy].mean() - pred["A"][~heavy].mean() > 0.15
    assert pred["A"][heavy].mean() - pred["B"][heavy].mean() > 0.15
    loaded = UpliftModel.load(model.model_.save(tmp_path / "dr"))
    assert loaded.spec.learner == "dr"
    pd.testing.assert_frame_equal(loaded.predict(rows[~train]), pred)


def test_auto_chooses_dr_for_effects_acceptance_cannot_see_and_spends_nothing_on_none(vectors):
    rows = campaign_rows(vectors, 3, effect=True)
    base = campaign_rows(vectors, 5, effect=False)  # untargeted: not the campaign's rows
    model, choice = choose_learner(rows, base, FAST, seed=7, threads=1)
    assert choice.learner == "dr" and model.model_.spec.learner == "dr"
    q = {name: t.loc["all offers", "qini"] for name, t in choice.oof.items()}
    assert q["dr"] > q["s"]
    null = campaign_rows(vectors, 4, effect=False)
    model, choice = choose_learner(null, base, FAST, seed=7, threads=1)
    assert choice.learner == "s" and model.save_rate_.used == 0.0
    assert (model.predict(null).to_numpy() == 0.0).all()


def test_dr_is_chosen_only_when_clearly_better_than_the_pooled_learner():
    from training.uplift.choice import clearly_better

    def table(qini: float) -> pd.DataFrame:
        row = {"qini": qini, "qini_random": 0.0, "qini_random_sd": 0.0015}
        return pd.DataFrame({"all offers": row}).T

    # The noise of a difference of two Qinis here: 1.645 x sqrt(2) x 0.0015 = 0.00349.
    assert clearly_better(table(0.0050), table(0.0010))  # 0.0040 ahead
    assert not clearly_better(table(0.0037), table(0.0010))  # 0.0027 ahead: within noise
    assert not clearly_better(table(0.0025), table(-0.0020))  # below random's mean + 2 sd


def test_auto_names_what_is_missing(vectors):
    rows = campaign_rows(vectors, 6, effect=True)
    with pytest.raises(ValueError, match="base: no untargeted rows"):
        choose_learner(rows, rows.head(0), FAST, seed=7, threads=1)
    with pytest.raises(ValueError, match="treated: need both treated and control rows"):
        DRUplift(config=FAST).fit(rows[rows["treated"]])
