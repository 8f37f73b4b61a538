"""bench.survival's integrated Brier score in discrete months: a row censored at the data end
was seen active through its last month and counts as alive there."""

import numpy as np

from bench.survival import brier_by_month

MONTHS = 6


def rows(seed=0, n=4_000):
    rng = np.random.default_rng(seed)
    churn_month = rng.integers(1, 15, n)  # many leave after the window: censored at month 6
    early = rng.random(n) < 0.1  # some rows leave observation early (censored at 1..5)
    censor = np.where(early, rng.integers(1, MONTHS, n), MONTHS)
    duration = np.minimum(churn_month, censor)
    event = (churn_month <= censor).astype(int)
    return churn_month, duration, event


def test_a_curve_that_knows_each_status_scores_zero_at_every_month():
    churn_month, duration, event = rows()
    known = (churn_month[:, None] > np.arange(1, MONTHS + 1)[None, :]).astype(float)
    assert np.allclose(brier_by_month(known, duration, event), 0.0)


def test_a_coin_scores_a_quarter_at_every_month_the_last_included():
    _, duration, event = rows(seed=1)
    coin = np.full((len(duration), MONTHS), 0.5)
    scores = brier_by_month(coin, duration, event)
    # every observed status weighs 1/G(t-1): the weights average 1 at each month
    assert np.allclose(scores, 0.25, atol=0.02), scores
    assert abs(scores[-1] - 0.25) < 0.02  # the rows censored at month 6 count as alive there
