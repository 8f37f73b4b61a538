"""Promotion: may a challenger replace the champion, and moving the `champion` alias.

The rule (`verdict`) is a pure function of the evaluation tables one training run logged
(model, baseline and champion scored on the same test snapshot), so the `promote` command
and the training run apply the same rule. `promote` moves the alias only to a challenger
that passes it, or by an explicit override with a reason; who, when and why are recorded as
model-version tags."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime

import mlflow
import pandas as pd

from features.artefacts.tags import COMPARED_CHAMPION_TAG, RUN_ID_TAG
from features.settings import Settings
from training import tracking
from training.config import PromotionConfig

PRIMARY = {"churn": "roc_auc", "value": "normalized_gini"}


@dataclass(frozen=True)
class Verdict:
    kind: str
    ok: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)  # failed checks, or why it passed

    def text(self) -> str:
        head = "promote" if self.ok else "refuse"
        return f"{self.kind}: {head}: " + "; ".join(self.reasons)


def verdict(
    kind: str, table: pd.DataFrame, segments: pd.DataFrame, config: PromotionConfig
) -> Verdict:
    """Check the challenger (row `model`) against `baseline` and, when present, `champion`.

    `table` has one row per scorer; `segments` is indexed (segment, level, scorer) with a
    `rows` column and the same metric columns.
    """
    if kind not in PRIMARY:
        raise ValueError(f"kind: '{kind}' is not one of {sorted(PRIMARY)}")
    metric = PRIMARY[kind]
    margin = config.churn_margin if kind == "churn" else config.value_margin
    model = float(table.loc["model", metric])
    failed, passed = [], []
    base = float(table.loc["baseline", metric])
    if model > base:
        passed.append(f"{metric} {model:.4f} > baseline {base:.4f}")
    else:
        failed.append(f"{metric} {model:.4f} does not beat the baseline's {base:.4f}")
    if "champion" in table.index:
        champ = float(table.loc["champion", metric])
        if model >= champ + margin:
            passed.append(f"{metric} {model:.4f} >= champion {champ:.4f} + margin {margin}")
        else:
            failed.append(
                f"{metric} {model:.4f} does not beat the champion's {champ:.4f} by {margin}"
            )
    else:
        passed.append("no comparable champion")
    if kind == "churn":
        ece = float(table.loc["model", "ece"])
        if ece <= config.max_ece:
            passed.append(f"ece {ece:.4f} <= {config.max_ece}")
        else:
            failed.append(f"ece {ece:.4f} above {config.max_ece}: probabilities not calibrated")
    failed += _collapsed(segments, metric, config)
    if not failed:
        passed.append(f"no segment falls more than {config.max_segment_drop} on {metric}")
    return Verdict(kind, not failed, tuple(failed or passed))


def _collapsed(segments: pd.DataFrame, metric: str, config: PromotionConfig) -> list[str]:
    out = []
    for (seg, level), part in segments.groupby(level=["segment", "level"], sort=True):
        part = part.droplevel(["segment", "level"])
        if "model" not in part.index or part.loc["model", "rows"] < config.min_segment_rows:
            continue
        churners = part.loc["model", "rows"] * part.loc["model", "mean_truth"]
        if metric == "roc_auc" and churners < config.min_segment_churners:
            continue
        model = float(part.loc["model", metric])
        if math.isnan(model):
            continue
        for other in ("baseline", "champion"):
            if other not in part.index or math.isnan(float(part.loc[other, metric])):
                continue
            ref = float(part.loc[other, metric])
            if model < ref - config.max_segment_drop:
                out.append(
                    f"segment {seg}={level}: {metric} {model:.4f} collapses below the "
                    f"{other}'s {ref:.4f}"
                )
    return out


log = logging.getLogger(__name__)


class PromotionRefused(RuntimeError):
    """The challenger may not become champion; the message says why."""


def check(
    settings: Settings, kind: str, config: PromotionConfig, version: str | None = None
) -> tuple[str, Verdict]:
    """(version, verdict) for `version` (default: the `challenger` alias) of `kind`."""
    name = _name(settings, kind)
    mlflow.set_tracking_uri(settings.tracking_uri)
    version = version or tracking.alias_version(name, "challenger")
    if version is None:
        raise PromotionRefused(f"{name}: no version given and no @challenger alias")
    tags = tracking.version_tags(name, version)
    champion = tracking.alias_version(name, settings.alias)
    if champion == version:
        return version, Verdict(kind, False, (f"version {version} is already @{settings.alias}",))
    compared = tags.get(COMPARED_CHAMPION_TAG, "none")
    if champion is not None and compared != champion:
        return version, Verdict(
            kind,
            False,
            (
                f"version {version} was evaluated against champion {compared}, but the champion "
                f"is now version {champion}; retrain to compare them on the same snapshot",
            ),
        )
    run_id = tags[RUN_ID_TAG]
    table = tracking.run_table(run_id, f"evaluation/{kind}_test.csv", 1)
    segments = tracking.run_table(run_id, f"evaluation/{kind}_segments.csv", 3)
    segments.index = segments.index.set_levels([lvl.astype(str) for lvl in segments.index.levels])
    return version, verdict(kind, table, segments, config)


def promote(
    settings: Settings,
    kind: str,
    config: PromotionConfig,
    *,
    who: str,
    when: datetime,
    version: str | None = None,
    force: bool = False,
    reason: str = "",
) -> Verdict:
    """Point `settings.alias` at the challenger when it passes the rule; with `force`, point
    it anyway (an override needs a `reason`, and is logged and tagged as one).
    Raises PromotionRefused, naming the failed checks, otherwise."""
    if force and not reason.strip():
        raise ValueError("reason: an override (--force) must say why")
    name = _name(settings, kind)
    version, v = check(settings, kind, config, version)
    if not v.ok and not force:
        raise PromotionRefused(v.text())
    previous = tracking.alias_version(name, settings.alias)
    tracking.set_alias(name, settings.alias, version)
    why = reason or "; ".join(v.reasons)
    tracking.tag_version(
        name,
        version,
        {
            "promoted_by": who,
            "promoted_at": when.isoformat(timespec="seconds"),
            "promotion_reason": why,
            "promotion_override": str(force and not v.ok).lower(),
            "previous_champion": previous or "none",
        },
    )
    if force and not v.ok:
        log.warning(
            "%s version %s promoted by override (%s): rule said %s", name, version, reason, v.text()
        )
    return v


def _name(settings: Settings, kind: str) -> str:
    if kind not in ("churn", "value"):
        raise ValueError(f"kind: '{kind}' is not one of ['churn', 'value']")
    return settings.churn_model if kind == "churn" else settings.value_model
