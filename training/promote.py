"""Move the `champion` alias: only to a challenger that passes the promotion rule on the
tables its own run logged (it and the champion scored on the same test snapshot), or by an
explicit override with a reason. Who, when and why are recorded as model-version tags."""

from __future__ import annotations

import logging
from datetime import datetime

import mlflow

from features.settings import Settings
from training import tracking
from training.config import PromotionConfig
from training.promotion import Verdict, verdict

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
    compared = tags.get("compared_champion_version", "none")
    if champion is not None and compared != champion:
        return version, Verdict(
            kind,
            False,
            (
                f"version {version} was evaluated against champion {compared}, but the champion "
                f"is now version {champion}; retrain to compare them on the same snapshot",
            ),
        )
    run_id = tags["run_id"]
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
