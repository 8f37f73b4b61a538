"""Offer-uplift models as data: fitted by training, evaluated by serving.

Every meta-learner used here predicts an offer's uplift as a weighted sum of LightGBM
boosters' outputs, so the stored form is the same whatever the learner:

    uplift(x, offer) = sum(weight_k * booster_k.predict(x) for k in terms[offer])

- T-learner: +1 x P(churn | control) - 1 x P(churn | treated with the offer);
- X-learner: g x tau_control + (1 - g) x tau_treated, with g the treated share.

Uplift is the reduction of the 30-day churn probability caused by sending the offer
(positive is good; a "sleeping dog" has negative uplift). The spec is `uplift.json` beside
the boosters' native model files; serving loads it without importing training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.vector import model_frame

FILE_NAME = "uplift.json"


@dataclass(frozen=True)
class Term:
    booster: str  # file name of a native LightGBM model beside uplift.json
    weight: float


@dataclass(frozen=True)
class UpliftSpec:
    learner: str  # "t" or "x"
    offers: dict[str, tuple[Term, ...]]
    feature_schema_version: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "learner": self.learner,
                "feature_schema_version": self.feature_schema_version,
                "offers": {
                    o: [{"booster": t.booster, "weight": t.weight} for t in terms]
                    for o, terms in self.offers.items()
                },
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> UpliftSpec:
        d = json.loads(text)
        for key in ("learner", "offers", "feature_schema_version"):
            if key not in d:
                raise ValueError(f"uplift.json: missing '{key}'")
        offers = {
            o: tuple(Term(t["booster"], float(t["weight"])) for t in terms)
            for o, terms in d["offers"].items()
        }
        return cls(d["learner"], offers, d["feature_schema_version"])


@dataclass(frozen=True)
class UpliftModel:
    """A loaded spec with its boosters: predicts every offer's uplift per row."""

    spec: UpliftSpec
    boosters: dict[str, lgb.Booster]

    @property
    def offers(self) -> list[str]:
        return sorted(self.spec.offers)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One column per offer: predicted reduction of the 30-day churn probability."""
        X = model_frame(frame)
        cache: dict[str, np.ndarray] = {}
        out = pd.DataFrame(index=frame.index)
        for offer in self.offers:
            total = np.zeros(len(frame))
            for term in self.spec.offers[offer]:
                if term.booster not in cache:
                    cache[term.booster] = self.boosters[term.booster].predict(X)
                total += term.weight * cache[term.booster]
            out[offer] = total
        return out

    def save(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, booster in self.boosters.items():
            booster.save_model(str(folder / name))
        (folder / FILE_NAME).write_text(self.spec.to_json())
        return folder

    @classmethod
    def load(cls, folder: Path) -> UpliftModel:
        """Load from a folder holding uplift.json (searched recursively) and its boosters."""
        files = sorted(Path(folder).rglob(FILE_NAME))
        if not files:
            raise FileNotFoundError(f"{folder}: no {FILE_NAME}")
        spec = UpliftSpec.from_json(files[0].read_text())
        names = {t.booster for terms in spec.offers.values() for t in terms}
        boosters = {n: lgb.Booster(model_file=str(files[0].parent / n)) for n in sorted(names)}
        return cls(spec, boosters)
