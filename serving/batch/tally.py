"""What a batch run keeps of every scored chunk, and the steps that close a run.

The local job (`serving.batch.chunks`) adds each chunk as it is scored; the Spark job
(`serving.batch.spark`) adds the columns it collects from its executors in file order. Both
then `finish` the same way: the campaign planned over the whole base, the reconciliation
(rows in = scored + rejected), drift against the training reference, and the report. So the
two engines give the same campaign list, reconciliation and report from the same rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.definitions import FEATURE_NAMES
from features.drift import drift_table
from serving.batch.campaign_files import campaign_summary, write_campaign
from serving.batch.reconcile import BatchResult, check, write_reconciliation
from serving.batch.report import DRIFT_SAMPLE_ROWS, write_report
from serving.registry import Models
from serving.segments import top_share

log = logging.getLogger(__name__)
REPORT_ATTRIBUTES = ("customer_type", "region")  # the operator's other classifications


@dataclass
class Tally:
    """Counts, the Pareto columns, the offer gains and a drift sample of a run so far."""

    rows_in: int = 0
    rows_scored: int = 0
    rows_rejected: int = 0
    tiers: Counter = field(default_factory=Counter)
    reject_counts: Counter = field(default_factory=Counter)
    revenue: list = field(default_factory=list)  # trailing 90-day revenue, per scored row
    predicted: list = field(default_factory=list)
    ids: list = field(default_factory=list)
    gains: list = field(default_factory=list)  # rows x catalogue offers
    drift_sample: list = field(default_factory=list)  # the first scored vectors
    attributes: list = field(default_factory=list)  # customer type and region, for the report
    as_of: str | None = None

    @property
    def sampled(self) -> int:
        return sum(len(f) for f in self.drift_sample)

    def add_scored(
        self,
        ids,
        tiers,
        revenue_90d,
        predicted,
        gains: np.ndarray,
        as_of,
        vectors: pd.DataFrame | None = None,
        attributes: pd.DataFrame | None = None,
    ) -> None:
        """One chunk of scored rows; `vectors` (their feature vectors) feed the drift sample;
        `attributes` (their customer_type and region) the report's business segments."""
        self.rows_scored += len(ids)
        self.tiers.update(list(tiers))
        self.revenue.append(np.asarray(revenue_90d, dtype=np.float32))
        self.predicted.append(np.asarray(predicted, dtype=np.float32))
        self.ids.append(np.asarray(ids, dtype=np.int64))
        self.gains.append(np.asarray(gains, dtype=float))
        if len(ids):
            self.as_of = self.as_of or str(as_of)
        if attributes is not None:
            self.attributes.append(
                pd.DataFrame({c: pd.Categorical(attributes[c]) for c in REPORT_ATTRIBUTES}).assign(
                    subscriber_id=np.asarray(ids, dtype=np.int64)
                )
            )
        if vectors is not None and self.sampled < DRIFT_SAMPLE_ROWS:
            self.drift_sample.append(vectors.head(DRIFT_SAMPLE_ROWS - self.sampled))

    def add_rejected(self, reasons) -> None:
        reasons = list(reasons)
        self.rows_rejected += len(reasons)
        self.reject_counts.update(str(r).split(":")[0] for r in reasons)


def finish(
    out: Path,
    tally: Tally,
    models: Models,
    config,
    scores_path: Path,
    rejects_path: Path,
    campaign_reasons=None,
) -> BatchResult:
    """Plan the campaign, reconcile, measure drift and write the report; the run's result.
    `config` is the run's `BatchConfig`; `campaign_reasons` (ids -> reasons), when given,
    gives the campaign list its reasons instead of the scores."""
    rev = np.concatenate(tally.revenue) if tally.revenue else np.empty(0)
    pred = np.concatenate(tally.predicted) if tally.predicted else np.empty(0)
    campaign = write_campaign(
        out, tally.ids, tally.gains, models, config.policy, scores_path, campaign_reasons
    )
    result = BatchResult(
        scores_path=scores_path,
        rejects_path=rejects_path,
        rows_in=tally.rows_in,
        rows_scored=tally.rows_scored,
        rows_rejected=tally.rows_rejected,
        revenue_top20_share=top_share(rev) if len(rev) else float("nan"),
        predicted_value_top20_share=top_share(pred) if len(pred) else float("nan"),
        tier_counts=dict(sorted(tally.tiers.items())),
        reject_counts=dict(sorted(tally.reject_counts.items())),
        campaign=campaign_summary(campaign),
    )
    check(result)
    write_reconciliation(out, result, models)
    drift = None
    if config.reference is not None and tally.drift_sample:
        current = pd.concat(tally.drift_sample, ignore_index=True)
        cols = [c for c in FEATURE_NAMES if c in config.reference.columns]
        drift = drift_table(config.reference, current, cols, config.drift)
    attributes = pd.concat(tally.attributes, ignore_index=True) if tally.attributes else None
    write_report(
        out,
        tally.as_of or "-",
        result.as_dict(),
        models,
        rev,
        campaign,
        drift,
        scores_path,
        language=config.language,
        attributes=attributes,
    )
    log.info(
        "rows in %d = scored %d + rejected %d",
        result.rows_in,
        result.rows_scored,
        result.rows_rejected,
    )
    return result
