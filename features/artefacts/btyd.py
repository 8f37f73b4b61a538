"""BTYD forecasts from fitted parameters: the file training writes beside the value model
(`btyd.json`) and the closed forms both sides evaluate (fitting: `training.btyd`).

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing
Science 24(2)) counts the repeat top-up days a subscriber makes in the next t days and
the chance they are still "alive"; Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV",
J. Marketing Research 42(4)) gives the expected amount of one top-up day. They are written
here (scipy's `hyp2f1` and `gammaln`), not taken from PyMC-Marketing or lifetimes: serving
evaluates them per request without pymc/pytensor, and lifetimes is unmaintained.

A value model fitted on a base margin (`BTYDParams.base_margin`) is a LightGBM booster with a
log link whose trees correct the BTYD forecast: its answer is the booster's prediction times
the forecast (`value_prediction`), never the booster's prediction alone.

Inputs per subscriber at T, in days, from the whole-history recharge features: x = repeat
top-up days (days with a top-up - 1), t_x = age at the last top-up day, T = age since the
first top-up, m = mean amount per top-up day (over all of them, first included).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import hyp2f1

FILE_NAME = "btyd.json"
BTYD_COLUMNS = ("btyd_purchases_h", "btyd_p_alive", "btyd_spend_vnd", "btyd_value_vnd_h")


@dataclass(frozen=True)
class BTYDParams:
    """BG/NBD (r, alpha, a, b; time in days) and Gamma-Gamma (p, q, gamma; VND) parameters,
    and the horizon (days) their forecast columns cover."""

    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    gamma: float
    horizon_days: int
    base_margin: bool = False  # the value booster starts from log(btyd_value_vnd_h)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BTYDParams:
        data = json.loads(text)
        exact = {
            "horizon_days": int(data["horizon_days"]),
            "base_margin": bool(data.get("base_margin", False)),
        }
        return cls(**{k: float(v) for k, v in data.items() if k not in exact}, **exact)  # fmt: skip

    @classmethod
    def load(cls, folder: Path) -> BTYDParams | None:
        """The parameters in a model folder, or None when the model was fitted without."""
        files = sorted(Path(folder).rglob(FILE_NAME))  # MLflow keeps extra files in a subfolder
        return cls.from_json(files[0].read_text()) if files else None


def rfm_inputs(columns: Mapping[str, Any]) -> tuple[np.ndarray, ...]:
    """(x, t_x, T, m) from the recharge features; a subscriber without top-ups is a new
    customer seen at age 0 (x = t_x = T = 0, m unknown)."""
    days = np.nan_to_num(np.asarray(columns["recharge_days_count_all"], dtype=float))
    age = np.nan_to_num(np.asarray(columns["days_since_first_recharge"], dtype=float))
    since = np.nan_to_num(np.asarray(columns["days_since_last_recharge"], dtype=float))
    total = np.nan_to_num(np.asarray(columns["recharge_vnd_sum_all"], dtype=float))
    x = np.maximum(days - 1.0, 0.0)
    T = np.maximum(age, 0.0)
    t_x = np.clip(T - since, 0.0, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(days > 0, total / np.maximum(days, 1.0), np.nan)
    return x, t_x, T, m


def p_alive(params: BTYDParams, x, t_x, T) -> np.ndarray:
    """P(still active at T | x, t_x, T) under BG/NBD (1 for a subscriber with no repeat)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    odds = np.where(x > 0, a / (b + np.maximum(x, 1.0) - 1.0) * np.exp(log_ratio), 0.0)
    return 1.0 / (1.0 + odds)


def expected_purchases(params: BTYDParams, t: float, x, t_x, T) -> np.ndarray:
    """E[repeat top-up days in (T, T + t] | x, t_x, T] under BG/NBD (FHL 2005, eq. 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    z = t / (alpha + T + t)
    head = (a + b + x - 1.0) / (a - 1.0)
    tail = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1.0, z
    )
    return head * tail * p_alive(params, x, t_x, T)


def expected_spend(params: BTYDParams, n, m) -> np.ndarray:
    """E[amount of one top-up day | n days seen with mean m] under Gamma-Gamma; the
    population mean p * gamma / (q - 1) where nothing is known."""
    p, q, g = params.p, params.q, params.gamma
    n, m = np.asarray(n, dtype=float), np.asarray(m, dtype=float)
    prior = p * g / (q - 1.0)
    known = (n > 0) & np.isfinite(m)
    safe_m = np.where(known, m, 0.0)
    post = p * (g + n * safe_m) / (p * n + q - 1.0)
    return np.where(known, post, prior)


def btyd_columns(columns: Mapping[str, Any], params: BTYDParams) -> dict[str, np.ndarray]:
    """The BTYD forecast columns over `params.horizon_days` for feature vectors."""
    x, t_x, T, m = rfm_inputs(columns)
    alive = p_alive(params, x, t_x, T)
    # BG/NBD counts repeat days after the first: a subscriber's first top-up day is in the
    # history (T measured from it), so every future top-up day is a repeat one.
    purchases = expected_purchases(params, float(params.horizon_days), x, t_x, T)
    spend = expected_spend(params, x + (np.isfinite(m)), m)
    return {
        "btyd_purchases_h": purchases,
        "btyd_p_alive": alive,
        "btyd_spend_vnd": spend,
        "btyd_value_vnd_h": purchases * spend,
    }


# A forecast of 0 VND (a subscriber BG/NBD thinks long gone) has no logarithm: the base
# margin starts such rows at 1 VND, which the trees can still raise.
FLOOR_VND = 1.0


def base_margin(columns: Mapping[str, Any], params: BTYDParams) -> np.ndarray:
    """log of the BTYD value forecast over the horizon (VND, floored at `FLOOR_VND`): the
    init score a log-link value booster is fitted from."""
    value = btyd_columns(columns, params)["btyd_value_vnd_h"]
    return np.log(np.maximum(np.nan_to_num(value, nan=FLOOR_VND), FLOOR_VND))


def value_prediction(booster, X, columns: Mapping[str, Any], params: BTYDParams | None):
    """The value model's forecast (VND over the horizon) for the booster's input `X` (a frame
    or its float matrix) of feature vectors `columns`: the booster's prediction, times the
    BTYD forecast when the booster was fitted on it as a base margin (log link: exp(f + log
    b) = exp(f) x b). Training, evaluation and serving all answer through this."""
    if len(X) == 0:
        return np.empty(0)
    out = booster.predict(X)
    if params is not None and params.base_margin:
        out = out * np.exp(base_margin(columns, params))
    return out
