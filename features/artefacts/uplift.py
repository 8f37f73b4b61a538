"""Offer-uplift models as data: fitted by training, evaluated by serving.

Every learner used here predicts an offer's uplift as a weighted sum of products of
LightGBM boosters' outputs, so the stored form is the same whatever the learner:

    uplift(x, offer) = sum(weight_k * booster_k(x) * prod(f(x) for f in times_k)
                           for k in terms[offer])

A booster whose inputs include `offer_is_<OFFER_ID>` columns is pooled over offers: it is
evaluated with the one-hot columns of the offer being scored.

- T-learner: +1 x P(churn | control) - 1 x P(churn | treated with the offer);
- X-learner: g x tau_control + (1 - g) x tau_treated, with g the treated share;
- pooled save-rate learner ("s"): w x P(accept | x, offer) x P(churn | x, no offer), with
  one acceptance booster pooled over offers and w the share of an accepter's churn risk
  that the offer removes, estimated on the randomised campaign rows;
- DR-learner ("dr"): +1 x tau_o, a regression of the doubly robust pseudo-outcome.

- table S-learner (`retain train-uplift --table`): the mean over cross-fitting folds of
  booster_k(x, offer) - booster_k(x, no offer); a term's `arm` pins the one-hot inputs of a
  pooled booster to one arm ("" = no offer, the control) whatever offer is scored.

Uplift is the reduction of the 30-day churn probability caused by sending the offer
(positive is good; a "sleeping dog" has negative uplift); a model learnt from a campaign
table the user brings says its own outcome (`outcome`: e.g. `revenue` in the table's
currency, or a binary outcome's probability) and its own input columns (`features`,
`categorical`; empty = Retain's feature vector). The spec is `uplift.json` beside the
boosters' native model files; serving loads it without importing training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.vector import model_frame

FILE_NAME = "uplift.json"
CHURN_REDUCTION = "churn_reduction"  # the outcome of models learnt from raw tables
REVENUE = "revenue"  # a table model of an amount: uplift in the table's currency
NO_OFFER = ""  # a term's arm: the control, every one-hot offer input 0

OFFER_PREFIX = "offer_is_"  # one-hot offer inputs of boosters pooled over offers


def offer_columns(offers, offer_id: str, n: int) -> dict[str, np.ndarray]:
    """The one-hot offer inputs for `n` rows all scored with `offer_id`."""
    return {f"{OFFER_PREFIX}{o}": np.full(n, float(o == offer_id)) for o in offers}


def pooled(booster: lgb.Booster) -> list[str]:
    """The offer ids a booster takes as one-hot inputs (empty: not pooled over offers)."""
    return [n[len(OFFER_PREFIX) :] for n in booster.feature_name() if n.startswith(OFFER_PREFIX)]


def table_frame(frame: pd.DataFrame, features, categorical) -> pd.DataFrame:
    """A table model's inputs in `features` order: `categorical` columns as category (of
    strings), the others as float; the same when fitting and when predicting."""
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise KeyError(f"uplift inputs: missing columns {missing}")
    cat = set(categorical)
    return pd.DataFrame(
        {
            c: frame[c].astype("string").astype("category")
            if c in cat
            else pd.to_numeric(frame[c], errors="raise").astype("float64")
            for c in features
        },
        index=frame.index,
    )


@dataclass(frozen=True)
class Term:
    booster: str  # file name of a native LightGBM model beside uplift.json
    weight: float
    times: tuple[str, ...] = ()  # further boosters whose outputs multiply this term
    arm: str | None = None  # pooled boosters run with this arm (None: the offer scored)

    @property
    def boosters(self) -> tuple[str, ...]:
        return (self.booster, *self.times)


@dataclass(frozen=True)
class UpliftSpec:
    learner: str  # "s" pooled save-rate, "dr", "t", "x", or "table" (S-learner, cross-fitted)
    offers: dict[str, tuple[Term, ...]]
    feature_schema_version: str
    outcome: str = CHURN_REDUCTION
    features: tuple[str, ...] = ()  # a table model's inputs; empty: Retain's feature vector
    categorical: tuple[str, ...] = ()
    # Per offer, the share of treated campaign rows that accepted it: the offer's own cost
    # is paid only on acceptance (the campaigns table's cost_vnd is 0 otherwise), so the
    # planner's expected cost is contact cost + offer cost x acceptance. Empty: unknown,
    # the full offer cost.
    acceptance: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        extra = {  # written only when set: specs of raw-table models keep their bytes
            k: v
            for k, v in (
                ("outcome", self.outcome if self.outcome != CHURN_REDUCTION else None),
                ("features", list(self.features) or None),
                ("categorical", list(self.categorical) or None),
                ("acceptance", dict(sorted(self.acceptance.items())) or None),
            )
            if v is not None
        }
        return json.dumps(
            {
                "learner": self.learner,
                "feature_schema_version": self.feature_schema_version,
                "offers": {
                    o: [
                        {"booster": t.booster, "weight": t.weight}
                        | ({"times": list(t.times)} if t.times else {})
                        | ({"arm": t.arm} if t.arm is not None else {})
                        for t in terms
                    ]
                    for o, terms in self.offers.items()
                },
            }
            | extra,
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
            o: tuple(
                Term(t["booster"], float(t["weight"]), tuple(t.get("times", ())), t.get("arm"))
                for t in terms
            )
            for o, terms in d["offers"].items()
        }
        return cls(
            d["learner"],
            offers,
            d["feature_schema_version"],
            d.get("outcome", CHURN_REDUCTION),
            tuple(d.get("features", ())),
            tuple(d.get("categorical", ())),
            _acceptance(d.get("acceptance", {})),
        )


def _acceptance(d: dict) -> dict[str, float]:
    """The spec's `acceptance`, each a share in [0, 1] (a bounded error otherwise)."""
    out = {}
    for offer, share in d.items():
        v = float(share)
        if not 0.0 <= v <= 1.0:
            raise ValueError(
                f"uplift.json: acceptance of '{str(offer)[:40]}' is {v!r}, not in [0, 1]"
            )
        out[str(offer)] = v
    return out


@dataclass(frozen=True)
class UpliftModel:
    """A loaded spec with its boosters: predicts every offer's uplift per row."""

    spec: UpliftSpec
    boosters: dict[str, lgb.Booster]

    @property
    def offers(self) -> list[str]:
        return sorted(self.spec.offers)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One column per offer: the predicted uplift of the spec's outcome (the reduction
        of the 30-day churn probability for models learnt from raw tables)."""
        X = self.input_frame(frame)
        out = pd.DataFrame(index=frame.index)
        for offer in self.offers:
            out[offer] = self.terms_sum(offer, lambda name, o: self._run(name, o, X))
        return out

    def terms_sum(self, offer: str, run) -> np.ndarray:
        """The offer's uplift from `run(booster name, offer or None) -> outputs`; `run` gets
        the offer only for boosters pooled over offers (it may cache on its arguments)."""
        total: np.ndarray | float = 0.0
        for term in self.spec.offers[offer]:
            part: np.ndarray | float = term.weight
            arm = offer if term.arm is None else term.arm
            for name in term.boosters:
                part = part * run(name, arm if pooled(self.boosters[name]) else None)
            total = total + part
        return np.asarray(total, dtype=float)

    def input_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The boosters' inputs: Retain's feature vector, or a table model's own columns
        (numerics as float, `categorical` as category, as when it was fitted)."""
        if not self.spec.features:
            return model_frame(frame)
        return table_frame(frame, self.spec.features, self.spec.categorical)

    def _run(self, name: str, offer: str | None, X: pd.DataFrame) -> np.ndarray:
        booster = self.boosters[name]
        if offer is not None:
            X = X.assign(**offer_columns(pooled(booster), offer, len(X)))
            X = X[booster.feature_name()]
        return booster.predict(X)

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
        names = {b for terms in spec.offers.values() for t in terms for b in t.boosters}
        boosters = {n: lgb.Booster(model_file=str(files[0].parent / n)) for n in sorted(names)}
        return cls(spec, boosters)
