import numpy as np
import pytest

from features.artefacts.calibration import Calibration


def test_isotonic_interpolates_between_knots():
    c = Calibration("isotonic", x=(0.0, 0.5, 1.0), y=(0.0, 0.2, 1.0))
    assert c.apply(np.array([0.25, 0.5, 0.75])) == pytest.approx([0.1, 0.2, 0.6])


def test_platt_identity_parameters_leave_probabilities_unchanged():
    p = np.array([0.01, 0.3, 0.9])
    assert Calibration("platt", a=1.0, b=0.0).apply(p) == pytest.approx(p)
    assert Calibration().apply(p) == pytest.approx(p)


def test_round_trip_and_load(tmp_path):
    c = Calibration("isotonic", x=(0.0, 1.0), y=(0.1, 0.9))
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "calibration.json").write_text(c.to_json())
    assert Calibration.load(tmp_path) == c
    assert Calibration.load(tmp_path / "m").apply([0.5]) == pytest.approx([0.5])
    assert Calibration.load(tmp_path / "nothing-here").method == "identity"


def test_invalid_specs_are_named():
    with pytest.raises(ValueError, match="calibration.method: 'magic'"):
        Calibration("magic")
    with pytest.raises(ValueError, match="non-decreasing"):
        Calibration("isotonic", x=(0.0, 1.0), y=(0.5, 0.1))
