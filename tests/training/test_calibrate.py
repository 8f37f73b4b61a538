"""Calibration fitted on held-out rows: recovery of a planted distortion, and errors."""

import numpy as np
import pytest

from training.calibrate import fit_calibration
from training.metrics import expected_calibration_error


def _distorted(n=40_000, seed=3):
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.0, 0.4, n)
    y = (rng.random(n) < truth).astype(int)
    raw = np.sqrt(truth)  # overconfident, monotone distortion of the truth
    return raw, y


@pytest.mark.parametrize("method", ["isotonic", "platt", "auto"])
def test_calibration_repairs_a_monotone_distortion(method):
    raw, y = _distorted()
    cal = fit_calibration(raw[:20_000], y[:20_000], method)
    before = expected_calibration_error(y[20_000:], raw[20_000:])
    after = expected_calibration_error(y[20_000:], cal.apply(raw[20_000:]))
    assert before > 0.2 and after < 0.02
    assert cal.method == ("isotonic" if method == "auto" else method)


def test_auto_uses_platt_on_few_churners():
    raw = np.linspace(0.01, 0.99, 300)
    y = (np.arange(300) % 10 == 0).astype(int)
    assert fit_calibration(raw, y, "auto").method == "platt"


def test_calibration_errors_name_the_problem():
    with pytest.raises(ValueError, match="calibration.method: 'beta'"):
        fit_calibration(np.array([0.1, 0.2]), np.array([0, 1]), "beta")
    with pytest.raises(ValueError, match="need both churners and non-churners"):
        fit_calibration(np.array([0.1, 0.2]), np.array([0, 0]), "isotonic")
    with pytest.raises(ValueError, match="2 scores but 3 labels"):
        fit_calibration(np.array([0.1, 0.2]), np.array([0, 1, 0]), "platt")


def test_isotonic_knots_sit_at_block_centres():
    # PAVA pools the middle two rows into one block of rate 0.5 centred at 0.25.
    cal = fit_calibration(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0, 1, 0, 1]), "isotonic")
    assert cal.x == pytest.approx((0.1, 0.25, 0.4))
    assert cal.y == pytest.approx((0.0, 0.5, 1.0))
    assert cal.apply(np.array([0.2]))[0] == pytest.approx(1 / 3)


def test_isotonic_calibration_keeps_the_models_ranking():
    raw, y = _distorted()
    cal = fit_calibration(raw[:20_000], y[:20_000], "isotonic")
    test = raw[20_000:]
    inside = (test > cal.x[0]) & (test < cal.x[-1])
    p = cal.apply(test[inside])
    # A step map would tie most subscribers; between block centres the order is the model's.
    assert len(np.unique(p)) == len(np.unique(test[inside]))
    order = np.argsort(test[inside], kind="stable")
    assert np.all(np.diff(p[order]) >= 0)
