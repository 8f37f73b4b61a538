"""Fitting the BTYD models of a recharge log by maximum likelihood: BG/NBD for how often a
subscriber tops up and whether they still do, Gamma-Gamma for how much. The forecasts are
`features.artefacts.btyd` (serving evaluates them too); `retain train` fits both on the
training snapshots and the value model reads their forecasts as features and starts from
their value forecast (its base margin, `training.models.ValueModel`).

The closed-form log-likelihoods are written with scipy rather than taken from PyMC-Marketing
(the reference: `clv.BetaGeoModel` and `clv.GammaGammaModel` with a MAP fit): that would add
pymc and pytensor, which compile at first use, to every `retain train` and to the Bento;
`tests/training/test_btyd.py` checks that these recover the published CDNOW figures.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

from features.artefacts.btyd import BTYDParams, btyd_columns, rfm_inputs


def bgnbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6)."""
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.where(
        repeat,
        np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)


def gamma_gamma_log_likelihood(params, n, m) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean `m` of `n` amounts (Fader, Hardie &
    Lee 2005, "RFM and CLV", up to a constant)."""
    p, q, g = params
    n, m = np.asarray(n, dtype=float), np.asarray(m, dtype=float)
    return (
        gammaln(p * n + q) - gammaln(p * n) - gammaln(q) + q * np.log(g)
        + (p * n - 1.0) * np.log(m) + p * n * np.log(n) - (p * n + q) * np.log(g + n * m)
    )  # fmt: skip


def _fit(loglik, start: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Maximise the (weighted) log-likelihood over log-parameters; the positive parameters."""

    def loss(theta: np.ndarray) -> float:
        ll = loglik(np.exp(theta))
        return float(-np.average(ll, weights=weights))

    best = minimize(loss, np.log(start), method="Nelder-Mead",
                    options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 4000})  # fmt: skip
    best = minimize(loss, best.x, method="L-BFGS-B")
    return np.exp(best.x)


def fit_bgnbd(x, t_x, T, weights=None) -> tuple[float, float, float, float]:
    """(r, alpha, a, b) by maximum likelihood; time in the unit of `t_x` and `T`."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if len(x) == 0 or not np.any(x > 0):
        raise ValueError("BG/NBD: needs customers with at least one repeat purchase")
    scale = float(np.mean(T)) or 1.0  # alpha starts near the mean age: a unit-free start
    r, alpha, a, b = _fit(lambda p: bgnbd_log_likelihood(p, x, t_x, T),
                          np.array([0.5, scale, 1.0, 2.0]), weights)  # fmt: skip
    return float(r), float(alpha), float(a), float(b)


def fit_gamma_gamma(n, m, weights=None) -> tuple[float, float, float]:
    """(p, q, gamma) by maximum likelihood on customers with n >= 1 amounts of mean m > 0."""
    n, m = np.asarray(n, dtype=float), np.asarray(m, dtype=float)
    keep = (n >= 1) & np.isfinite(m) & (m > 0)
    if keep.sum() < 10:
        raise ValueError("Gamma-Gamma: needs at least 10 customers with a positive amount")
    w = None if weights is None else np.asarray(weights, dtype=float)[keep]
    start = np.array([2.0, 3.0, float(np.median(m[keep]))])
    p, q, g = _fit(lambda prm: gamma_gamma_log_likelihood(prm, n[keep], m[keep]), start, w)
    return float(p), float(q), float(g)


class BTYDModel:
    """BG/NBD + Gamma-Gamma on a recharge log's RFM columns (scikit-learn's contract).

    `fit(columns)` reads the whole-history recharge features of snapshot rows
    (`features.artefacts.btyd.rfm_inputs`); `params_` are the forecasts' parameters over
    `horizon_days`, the value model's horizon (its forecast columns are then features)."""

    def __init__(self, *, horizon_days: int = 90):
        self.horizon_days = horizon_days

    def fit(self, columns, sample_weight=None) -> BTYDModel:
        """`sample_weight`: per row (a sample's inverse inclusion probability), or None."""
        x, t_x, T, m = rfm_inputs(columns)
        seen = T > 0  # a customer needs a history for BG/NBD's likelihood
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)[seen]
        r, alpha, a, b = fit_bgnbd(x[seen], t_x[seen], T[seen], w)
        p, q, g = fit_gamma_gamma(x[seen] + 1.0, m[seen], w)
        self.params_ = BTYDParams(r, alpha, a, b, p, q, g, self.horizon_days)
        return self

    def predict(self, columns) -> dict[str, np.ndarray]:
        return btyd_columns(columns, self.params_)
