"""bench.survival_ceiling: the observable ceiling recovers the truth's curves when a feature
carries them, stays blind when none does, and says how far a target is from reachable."""

import numpy as np
import pandas as pd
import pytest

from bench.survival_ceiling import observable_ceiling, reachability
from features.definitions import FEATURE_NAMES

MONTHS = 4


def vectors(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature vectors with every feature null but one driver, `days_since_last_billable`,
    and truth curves S(m) = exp(-rate x m) whose rate the driver sets."""
    rng = np.random.default_rng(seed)
    idle = rng.uniform(0, 60, n)
    frame = pd.DataFrame({c: np.nan for c in FEATURE_NAMES}, index=range(n))
    frame["days_since_last_billable"] = idle
    rate = 0.01 + 0.4 * idle / 60
    truth = np.exp(-rate[:, None] * np.arange(1, MONTHS + 1)[None, :])
    return frame, truth


def test_the_ceiling_recovers_curves_a_feature_carries_out_of_fold():
    frame, truth = vectors(2_000)
    s = observable_ceiling(frame, truth, seed=3)
    assert s.shape == truth.shape
    assert (np.diff(s, axis=1) <= 0).all()  # non-increasing in m
    flat = np.broadcast_to(truth.mean(axis=0), truth.shape)
    mse, mse_flat = np.mean((s - truth) ** 2), np.mean((flat - truth) ** 2)
    assert mse < 0.02 * mse_flat, (mse, mse_flat)


def test_the_ceiling_cannot_learn_curves_no_feature_carries():
    frame, truth = vectors(2_000)
    shuffled = truth[np.random.default_rng(1).permutation(len(truth))]  # the link is cut
    s = observable_ceiling(frame, shuffled, seed=3)
    flat = np.broadcast_to(shuffled.mean(axis=0), shuffled.shape)
    assert np.mean((s - shuffled) ** 2) > 0.9 * np.mean((flat - shuffled) ** 2)


def test_the_ceiling_refuses_curves_that_do_not_match_the_vectors():
    frame, truth = vectors(100)
    with pytest.raises(ValueError, match="one row per vector"):
        observable_ceiling(frame, truth[:50])
    with pytest.raises(ValueError, match="probabilities in"):
        observable_ceiling(frame, truth * 2)


def test_reachability_reads_the_gap_to_the_truth():
    out = reachability(
        {"integrated_brier": 0.09}, {"integrated_brier": 0.08}, {"integrated_brier": 0.07}
    )
    assert out["target_integrated_brier"] == pytest.approx(0.077)
    assert out["ceiling_meets_target"] is False
    assert out["reachable_share_of_retain_gap"] == pytest.approx(0.5)
    assert out["retain_over_ceiling"] == pytest.approx(1.125)
