"""Training configuration: frozen dataclasses with defaults in code, optionally one TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from pathlib import Path

from features.artefacts.calibration import METHODS
from features.artefacts.survival import MarginConfig
from features.sampling import SampleConfig
from features.snapshot import SnapshotConfig
from features.tiers import SegmentConfig
from training.profit import VND_EMPC, EMPCConfig


@dataclass(frozen=True)
class BoosterConfig:
    """LightGBM settings every Retain booster shares (`training.models.booster_params`)."""

    num_leaves: int = 31
    learning_rate: float = 0.05
    max_rounds: int = 600
    early_stopping_rounds: int = 50
    min_data_in_leaf: int = 50
    feature_fraction: float = 0.8
    bagging_fraction: float = 0.8
    lambda_l2: float = 1.0


@dataclass(frozen=True)
class ChurnConfig(BoosterConfig):
    """The churn booster (binary objective)."""


@dataclass(frozen=True)
class ValueConfig(BoosterConfig):
    """The value booster: a Tweedie objective for revenue with many zeros."""

    max_rounds: int = 800
    objective: str = "tweedie"
    tweedie_variance_power: float = 1.3
    btyd: bool = True  # BG/NBD + Gamma-Gamma forecasts as features (training.btyd)
    btyd_base_margin: bool = True  # and the booster corrects the BTYD forecast (log link)


@dataclass(frozen=True)
class PromotionConfig:
    """When a challenger may replace the champion (and when a first model may become one).

    The challenger must beat its baseline, beat the champion on the same test snapshot by
    `churn_margin` ROC-AUC (`value_margin` normalized Gini), keep its calibrated expected
    calibration error under `max_ece`, and in no segment of at least `min_segment_rows`
    rows fall more than `max_segment_drop` below the baseline or the champion.
    """

    auto: bool = True  # apply the rule at the end of every training run
    churn_margin: float = 0.002
    value_margin: float = 0.002
    max_ece: float = 0.03
    min_segment_rows: int = 200
    min_segment_churners: int = 30  # fewer churners make a segment's ROC-AUC noise
    max_segment_drop: float = 0.05


@dataclass(frozen=True)
class TuningConfig:
    """Optional Optuna search of the churn and value settings (training/tuning.py); off with
    `trials = 0`. The budget is split evenly between the two models."""

    trials: int = 0  # per model
    minutes: float = 20.0  # wall-time ceiling for both searches together


@dataclass(frozen=True)
class TrainConfig:
    """Monthly cutoffs from `train_from` to `test_as_of`; the month before the test
    cutoff is the validation snapshot (early stopping); earlier cutoffs train, each model
    only on snapshots whose label window ends by the validation cutoff."""

    train_from: date = date(2025, 4, 1)
    test_as_of: date = date(2025, 10, 1)
    seed: int = 7
    threads: int = 2
    snapshot: SnapshotConfig = field(default_factory=SnapshotConfig)
    # [sample] rows: target rows per monthly snapshot (0 = whole base); features.sampling
    sample: SampleConfig = field(default_factory=SampleConfig)
    churn: ChurnConfig = field(default_factory=ChurnConfig)
    value: ValueConfig = field(default_factory=ValueConfig)
    # isotonic | platt | identity, fitted on the validation snapshot; auto = isotonic when
    # that snapshot holds at least 500 churners (enough for a step map), else platt
    calibration: str = "auto"
    backtest_folds: int = 3  # rolling-origin test cutoffs ending at test_as_of
    promotion: PromotionConfig = field(default_factory=PromotionConfig)
    tuning: TuningConfig = field(default_factory=TuningConfig)
    segments: SegmentConfig = field(default_factory=SegmentConfig)
    margin: MarginConfig = field(default_factory=MarginConfig)  # lifetime value's cost rates
    empc: EMPCConfig = field(default_factory=EMPCConfig)
    empc_vnd: EMPCConfig = VND_EMPC

    def __post_init__(self) -> None:
        if self.calibration not in (*METHODS, "auto"):
            raise ValueError(
                f"calibration: '{self.calibration}' is not one of {(*METHODS, 'auto')}"
            )
        if self.backtest_folds < 1:
            raise ValueError(f"backtest_folds: need at least 1, got {self.backtest_folds}")

    @property
    def cutoffs(self) -> list[date]:
        out, d = [], self.train_from
        while d <= self.test_as_of:
            out.append(d)
            d = date(d.year + d.month // 12, d.month % 12 + 1, d.day)
        if len(out) < 3:
            raise ValueError(
                f"train_from {self.train_from} to test_as_of {self.test_as_of}: need at least "
                "three monthly cutoffs (train, validation, test)"
            )
        return out

    @property
    def validation_as_of(self) -> date:
        return self.cutoffs[-2]

    def flat(self) -> dict[str, object]:
        """Every setting as a flat dict, for logging as run parameters."""
        out: dict[str, object] = {}
        for k, v in asdict(self).items():
            if isinstance(v, dict):
                out.update({f"{k}.{kk}": vv for kk, vv in v.items()})
            else:
                out[k] = v
        return out

    @classmethod
    def from_toml(cls, path: Path) -> TrainConfig:
        """Override defaults from a TOML file with top-level keys and [snapshot], [sample],
        [churn], [value] (...) tables; an unknown key is an error naming it."""
        data = tomllib.loads(Path(path).read_text())
        return _merge(cls(), data, str(path))


def _merge(obj, data: dict, where: str):
    known = {f.name: f for f in fields(obj)}
    changes = {}
    for key, value in data.items():
        if key not in known:
            raise ValueError(f"{where}: unknown setting '{key}' (known: {sorted(known)})")
        current = getattr(obj, key)
        if isinstance(current, dict):  # a table of its own ([margin.cost_rates]): merged
            if not isinstance(value, dict):
                raise ValueError(f"{where}: setting '{key}' must be a table, got {value!r}")
            changes[key] = dict(current) | value
        elif isinstance(value, dict):
            changes[key] = _merge(current, value, f"{where} [{key}]")
        elif isinstance(current, date) and isinstance(value, str):
            changes[key] = date.fromisoformat(value)
        else:
            try:
                changes[key] = type(current)(value) if current is not None else value
            except (TypeError, ValueError) as e:
                raise ValueError(f"{where}: setting '{key}': {e}") from None
    return replace(obj, **changes)
