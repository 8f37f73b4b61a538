"""The Hillstrom bench's metrics for an amount (spend), which scikit-uplift refuses: they
agree with scikit-uplift's own on a binary outcome and with their oracles."""

import numpy as np
import pytest
from sklift.metrics import uplift_at_k

from bench.uplift_hillstrom import qini_auc, uplift_at_30


def test_uplift_at_30_of_an_amount_is_scikit_uplifts_construction():
    rng = np.random.default_rng(0)
    n = 2000
    y = (rng.random(n) < 0.3).astype(float)
    score, t = rng.random(n), (rng.random(n) < 0.5).astype(int)
    binary = uplift_at_k(y, score, t, "overall", 0.3)
    assert uplift_at_30(y, score, t) == pytest.approx(binary)
    # 2.5 x the outcome is an amount (not 0/1): the hand-written branch, 2.5 x the value.
    assert uplift_at_30(2.5 * y, score, t) == pytest.approx(2.5 * binary)


def test_qini_auc_of_an_amount_against_its_oracles():
    rng = np.random.default_rng(1)
    n = 4000
    t = (rng.random(n) < 0.5).astype(int)
    spend = rng.gamma(2.0, 50.0, n) * (rng.random(n) < 0.1 + 0.1 * t)
    perfect = spend * t - spend * (1 - t)
    assert qini_auc(spend, perfect, t) == pytest.approx(1.0)
    assert abs(qini_auc(spend, rng.random(n), t)) < 0.2
