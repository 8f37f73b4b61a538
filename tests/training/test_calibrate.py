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
