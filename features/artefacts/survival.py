"""Survival curves from a discrete-time hazard booster, and lifetime value from them: the
file training writes beside the churn model (`survival.txt`, LightGBM's text format) and
the arithmetic both sides evaluate (fitting: `training.survival`). Its digest is recorded
and verified with the model's other files (`features.artefacts.digests`).

The booster gives h(m | x) = P(churn in month m | active at the start of month m, features
x at T), with `months_ahead` = m as one more input. S(m) = prod_{j <= m} (1 - h(j)) for
m = 1..`MONTHS`; the expected remaining lifetime (months, within the 24) is sum_m S(m).

Lifetime value over the 24 months = sum_m S(m) x margin per month x (1 + annual rate)^(-m/12),
margin = revenue if active x (1 - cost-to-serve rate of the contract type - interconnect
share) (`MarginConfig`; a documented annual discount rate of 10% by default). The rates are
set in the training TOML's `[margin]` table, stored with the churn model (`MARGIN_TAG`) and
read back by every scoring path, batch and HTTP alike.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np

FILE_NAME = "survival.txt"  # LightGBM's text format; not *.lgb, the model file serving loads
MONTHS = 24
MONTHS_AHEAD = "months_ahead"  # the booster's extra input column
REPORTED = (3, 6, 12)  # months whose survival every answer carries
# A binary booster's objective line: LightGBM predicts sigmoid(s x raw), s its `sigmoid`
# setting, where training writes the hazard's Platt slope (`training.survival.with_platt`).
SIGMOID_LINE = re.compile(r"(?m)^objective=binary sigmoid:([0-9.eE+-]+)$")


@dataclass(frozen=True)
class MarginConfig:
    """Cost to serve as a share of revenue, per contract type (a null type is prepaid), the
    interconnect share paid to other networks, and the annual discount rate."""

    cost_rates: dict[str, float] = field(
        default_factory=lambda: {"prepaid": 0.35, "postpaid": 0.30}
    )
    interconnect_share: float = 0.08
    annual_discount_rate: float = 0.10

    def __post_init__(self) -> None:
        if not isinstance(self.cost_rates, dict) or "prepaid" not in self.cost_rates:
            raise ValueError(
                "margin.cost_rates: a table of contract type = rate with at least 'prepaid' "
                f"(the rate of a null contract type), got {self.cost_rates!r}"
            )
        for k, v in self.cost_rates.items():
            _rate(f"margin.cost_rates.{k}", v, 0.0, 1.0)
        _rate("margin.interconnect_share", self.interconnect_share, 0.0, 1.0)
        _rate("margin.annual_discount_rate", self.annual_discount_rate, 0.0, 1.0)
        worst = max(self.cost_rates.values()) + self.interconnect_share
        if worst >= 1:
            raise ValueError(
                f"margin: a cost rate plus margin.interconnect_share is {worst:g}, "
                "leaving no margin; each must sum to below 1"
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MarginConfig:
        data = json.loads(text)
        return cls(cost_rates=dict(data["cost_rates"]),
                   interconnect_share=data["interconnect_share"],
                   annual_discount_rate=data["annual_discount_rate"])  # fmt: skip

    def margin_share(self, contract_type) -> np.ndarray:
        """Share of revenue left after the cost to serve and interconnect, per row."""
        kinds = np.asarray(contract_type, dtype=object)
        default = self.cost_rates["prepaid"]
        cost = [self.cost_rates.get(k, default) if isinstance(k, str) else default for k in kinds]
        cost = np.asarray(cost, dtype=float)
        return 1.0 - cost - self.interconnect_share


def _rate(key: str, value, low: float, high: float) -> None:
    """A rate in [low, high), or a ValueError naming the setting."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= value < high:
        raise ValueError(f"{key}: must be a number in [{low:g}, {high:g}), got {value!r}")


def load_survival(folder: Path) -> lgb.Booster | None:
    """The hazard booster in a model folder (LightGBM text), or None when there is none."""
    found = sorted(Path(folder).rglob(FILE_NAME))
    return lgb.Booster(model_file=str(found[0])) if found else None


def binary_sigmoid(model_text: str) -> float | None:
    """The `sigmoid` setting in a LightGBM model's text (`SIGMOID_LINE`), or None when its
    objective is not a binary one."""
    line = SIGMOID_LINE.search(model_text)
    return None if line is None else float(line.group(1))


def survival_from_hazards(hazards: np.ndarray) -> np.ndarray:
    """S(m) for m = 1..M from hazards (rows x M)."""
    return np.cumprod(1.0 - np.clip(hazards, 0.0, 1.0), axis=1)


def hazards(booster, X: np.ndarray, months_column: int, months: int = MONTHS) -> np.ndarray:
    """h(m | x) for m = 1..months: `X` is the booster's float matrix, whose column
    `months_column` is overwritten with each m in turn."""
    X = np.array(X, dtype=np.float64, copy=True)
    out = np.empty((X.shape[0], months))
    for m in range(1, months + 1):
        X[:, months_column] = m
        out[:, m - 1] = booster.predict(X) if len(X) else np.empty(0)
    return out


def lifetime_value(
    survival: np.ndarray, monthly_revenue_if_active, margin_share, annual_rate: float
) -> np.ndarray:
    """sum_m S(m) x revenue x margin share x discount(m), VND (see the module docstring)."""
    m = np.arange(1, survival.shape[1] + 1)
    discount = (1.0 + annual_rate) ** (-m / 12.0)
    per_month = np.asarray(monthly_revenue_if_active, dtype=float) * np.asarray(margin_share)
    return (survival * discount).sum(axis=1) * per_month
