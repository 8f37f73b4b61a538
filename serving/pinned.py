"""The pinned model set a server or a batch run scores with: the churn and value models with
their calibration, snapshot configuration, BTYD parameters and survival booster, and the
uplift model with its offer catalogue (loaded by `serving.registry`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import lightgbm as lgb

from features.artefacts.btyd import BTYDParams
from features.artefacts.calibration import Calibration
from features.artefacts.survival import MarginConfig
from features.artefacts.uplift import UpliftModel
from features.query import SnapshotConfig
from serving.catalogue import Catalogue


class ModelLoadError(RuntimeError):
    """The models cannot be served; the message says what to do."""


@dataclass(frozen=True)
class PinnedModel:
    name: str
    version: str
    booster: lgb.Booster
    feature_schema_version: str
    calibration: Calibration = Calibration()  # identity unless training stored one
    snapshot: SnapshotConfig = SnapshotConfig()  # how training built its snapshots
    btyd: BTYDParams | None = None  # value models: the BTYD forecasts read as features
    survival: lgb.Booster | None = None  # churn models: the monthly hazard booster
    margin: MarginConfig = MarginConfig()  # churn models: lifetime value's cost rates

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class PinnedUplift:
    name: str
    version: str
    model: UpliftModel

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class Models:
    churn: PinnedModel
    value: PinnedModel
    value_horizon_days: int = 90
    uplift: PinnedUplift | None = None  # no offers are proposed without one
    catalogue: Catalogue | None = None

    @property
    def feature_schema_version(self) -> str:
        return self.churn.feature_schema_version

    @property
    def snapshot(self) -> SnapshotConfig:
        """The snapshot configuration the models were trained with (the churn model's
        eligibility and lookback; the value model's horizon): what scoring reuses."""
        return replace(self.churn.snapshot, value_horizon_days=self.value_horizon_days)
