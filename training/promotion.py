"""The promotion rule: may a challenger replace the champion? A pure function of the
evaluation tables one training run logged (model, baseline and champion scored on the same
test snapshot), so the `promote` command and the training run apply the same rule."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

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
