"""Probability calibration as data: fitted by training, applied by serving.

A calibration is stored as `calibration.json` beside the churn model's native LightGBM
file, so serving applies exactly the mapping training fitted without importing training.
Isotonic calibration is a monotone piecewise-linear map through (x, y) knots; Platt scaling
is a logistic map of the raw score's log-odds; identity passes the raw probability through.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FILE_NAME = "calibration.json"
METHODS = ("identity", "isotonic", "platt")


@dataclass(frozen=True)
class Calibration:
    method: str = "identity"
    x: tuple[float, ...] = field(default_factory=tuple)  # isotonic knots, increasing
    y: tuple[float, ...] = field(default_factory=tuple)  # calibrated probability at each knot
    a: float = 1.0  # platt: p = 1 / (1 + exp(-(a * logit(raw) + b)))
    b: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"calibration.method: '{self.method}' is not one of {METHODS}")
        if self.method == "isotonic":
            x, y = np.asarray(self.x, float), np.asarray(self.y, float)
            if len(x) < 2 or len(x) != len(y):
                raise ValueError("calibration.x/y: isotonic needs two or more (x, y) knots")
            if np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
                raise ValueError("calibration.x/y: isotonic knots must be non-decreasing")

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw model probabilities."""
        raw = np.asarray(raw, dtype=float)
        if self.method == "isotonic":
            return np.interp(raw, self.x, self.y)
        if self.method == "platt":
            p = np.clip(raw, 1e-12, 1 - 1e-12)
            return 1.0 / (1.0 + np.exp(-(self.a * np.log(p / (1 - p)) + self.b)))
        return raw

    def to_json(self) -> str:
        return json.dumps(
            {"method": self.method, "x": list(self.x), "y": list(self.y), "a": self.a, "b": self.b},
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        d = json.loads(text)
        return cls(
            method=d["method"],
            x=tuple(d.get("x", ())),
            y=tuple(d.get("y", ())),
            a=float(d.get("a", 1.0)),
            b=float(d.get("b", 0.0)),
        )

    @classmethod
    def load(cls, folder: Path) -> Calibration:
        """The calibration stored in a model folder, or identity when there is none."""
        files = sorted(Path(folder).rglob(FILE_NAME))
        return cls.from_json(files[0].read_text()) if files else cls()
