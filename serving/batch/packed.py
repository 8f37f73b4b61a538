"""The pinned model set as JSON text: what the Spark batch job broadcasts to its executors,
each of which rebuilds the models once (native model strings, calibration, snapshot and
margin configuration, BTYD parameters, survival booster, uplift spec)."""

from __future__ import annotations

import functools
import json
from dataclasses import replace

import lightgbm as lgb

from features.artefacts.btyd import BTYDParams
from features.artefacts.calibration import Calibration
from features.artefacts.survival import MarginConfig
from features.artefacts.uplift import UpliftModel, UpliftSpec
from features.query import SnapshotConfig
from serving.registry import Models, PinnedModel, PinnedUplift

__all__ = ["pack", "unpack"]


def pack(models: Models) -> str:
    """The pinned model set as JSON text (native model strings, calibration, uplift spec)."""

    def one(m: PinnedModel) -> dict:
        return {
            "name": m.name,
            "version": m.version,
            "fsv": m.feature_schema_version,
            "model": m.booster.model_to_string(),
            "calibration": m.calibration.to_json(),
            "snapshot": m.snapshot.to_json(),
            "btyd": m.btyd.to_json() if m.btyd is not None else None,
            "survival": m.survival.model_to_string() if m.survival is not None else None,
            "margin": m.margin.to_json(),
        }

    uplift = None
    if models.uplift is not None:
        u = models.uplift
        uplift = {
            "name": u.name,
            "version": u.version,
            "spec": u.model.spec.to_json(),
            "boosters": {k: b.model_to_string() for k, b in u.model.boosters.items()},
        }
    return json.dumps(
        {
            "churn": one(models.churn),
            "value": one(models.value),
            "horizon": models.value_horizon_days,
            "uplift": uplift,
        }
    )


def unpack(text: str, catalogue) -> Models:
    """The packed model set, rebuilt once per worker, with the run's offer catalogue."""
    models = _boosters(text)
    return replace(models, catalogue=catalogue if models.uplift is not None else None)


@functools.lru_cache(maxsize=2)
def _boosters(text: str) -> Models:
    d = json.loads(text)

    def one(m: dict) -> PinnedModel:
        return PinnedModel(
            m["name"],
            m["version"],
            lgb.Booster(model_str=m["model"]),
            m["fsv"],
            Calibration.from_json(m["calibration"]),
            SnapshotConfig.from_json(m["snapshot"]),
            BTYDParams.from_json(m["btyd"]) if m["btyd"] is not None else None,
            lgb.Booster(model_str=m["survival"]) if m["survival"] is not None else None,
            MarginConfig.from_json(m["margin"]),
        )

    uplift = None
    if d["uplift"] is not None:
        u = d["uplift"]
        boosters = {k: lgb.Booster(model_str=s) for k, s in u["boosters"].items()}
        model = UpliftModel(UpliftSpec.from_json(u["spec"]), boosters)
        uplift = PinnedUplift(u["name"], u["version"], model)
    return Models(one(d["churn"]), one(d["value"]), d["horizon"], uplift=uplift)
