"""Fit a probability calibration on a later snapshot than the model was trained on.

The result is `features.artefacts.calibration.Calibration`, plain data that serving applies without
importing training.
"""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from features.artefacts.calibration import METHODS, Calibration

AUTO_ISOTONIC_MIN_POSITIVES = 500


def fit_calibration(raw: np.ndarray, y: np.ndarray, method: str = "isotonic") -> Calibration:
    """Map raw model probabilities to observed rates on held-out rows.

    auto: isotonic when the rows hold at least 500 positives, else Platt (a step map fitted
    on few positives overfits and ties up the ranking);
    isotonic: a monotone map through the centres of the isotonic blocks (`centred_knots`),
    stored as its knots and interpolated between them;
    platt: logistic regression on the raw probability's log-odds (two parameters);
    identity: the raw probability unchanged.
    """
    if method not in (*METHODS, "auto"):
        raise ValueError(f"calibration.method: '{method}' is not one of {(*METHODS, 'auto')}")
    raw = np.asarray(raw, dtype=float)
    y = np.asarray(y, dtype=float)
    if method == "auto":
        method = "isotonic" if y.sum() >= AUTO_ISOTONIC_MIN_POSITIVES else "platt"
    if len(raw) != len(y):
        raise ValueError(f"calibration: {len(raw)} scores but {len(y)} labels")
    if method == "identity":
        return Calibration()
    if len(np.unique(y)) < 2:
        raise ValueError("calibration: labels need both churners and non-churners")
    if method == "platt":
        p = np.clip(raw, 1e-12, 1 - 1e-12)
        logit = np.log(p / (1 - p)).reshape(-1, 1)
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(logit, y)
        return Calibration(method="platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    x, yy = centred_knots(raw, iso.predict(raw))
    if len(x) < 2:  # a constant map still needs two knots to interpolate
        x, yy = np.array([0.0, 1.0]), np.array([yy[0], yy[0]])
    return Calibration(
        method="isotonic", x=tuple(float(v) for v in x), y=tuple(float(v) for v in yy)
    )


def centred_knots(raw: np.ndarray, fitted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One knot per isotonic block, at the mean raw score of its rows (centred isotonic
    regression, Oron and Flournoy 2017).

    The plain isotonic fit is a step map: every subscriber of a block gets the same
    probability, so a campaign ranked by it cannot tell them apart. Interpolating between
    block centres keeps each block's observed rate at its centre and the map's monotonicity,
    but strictly increases between blocks, so the calibrated probability orders subscribers
    as the model does (only below the first and above the last centre is it flat)."""
    levels, block = np.unique(fitted, return_inverse=True)
    centres = np.bincount(block, weights=raw) / np.bincount(block)
    return centres, levels


def fit_hazard_platt(raw: np.ndarray, y: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the Platt map sigmoid(slope x raw + intercept) of a hazard
    booster's raw scores (log-odds) on held-out person-month rows, weighted (a sample's
    inverse inclusion probabilities). A map whose slope is not positive would reverse the
    booster's ranking: the identity (1, 0) is kept then."""
    y = np.asarray(y, dtype=float)
    if len(np.unique(y)) < 2:
        raise ValueError("survival calibration: the held-out months need churners and stayers")
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(np.asarray(raw, float).reshape(-1, 1), y, sample_weight=np.asarray(weight, float))
    slope, intercept = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    return (slope, intercept) if slope > 0 else (1.0, 0.0)
