"""`retain score` as a sequence: check the raw tables, load the pinned models, write the
snapshot, score it on the chosen engine, materialise the online store, summarise.

The CLI only parses options and prints; this module decides. Every step that can refuse
raises `JobError` with one message before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from features.contract.clean import require_valid
from features.contract.schema import SchemaError
from features.settings import Settings
from features.snapshot import write_snapshot
from serving.batch.campaign_measure import cold_start, measure_past, measured_gain_line
from serving.batch.chunks import BatchConfig, parquet_chunks, score_parquet
from serving.batch.outputs import FolderBusy
from serving.batch.reconcile import BatchResult
from serving.campaign_gain import PastCampaigns
from serving.config import ServingConfig
from serving.decision import DecisionPolicy
from serving.online_store import StoreError, materialise, open_store
from serving.registry import (
    ModelLoadError,
    Models,
    champion_metrics,
    load_models,
    training_reference,
)

log = logging.getLogger(__name__)
ENGINES = ("local", "spark")


class JobError(RuntimeError):
    """The job refused to run, or stopped; the message says why."""


@dataclass(frozen=True)
class ScoreJob:
    """What `retain score` was asked to do."""

    as_of: date
    raw: Path
    out: Path
    vectors: Path | None = None  # score this file instead of building the snapshot
    chunk_rows: int = 200_000
    reasons: bool = True
    online_store: str | None = None  # default: the serving configuration's store
    materialise: bool = True
    engine: str = "local"
    budget_vnd: float = 50_000_000
    control_share: float = 0.1
    validate: bool = True
    playbook: Path | None = None  # exploration playbook; None = the one shipped with Retain

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise JobError(f"--engine: '{self.engine}' is not one of {', '.join(ENGINES)}")


@dataclass
class ScoreRun:
    """What a run did: its result, the models it used and what it said on the way."""

    job: ScoreJob
    result: BatchResult
    models: Models
    settings: Settings
    policy: DecisionPolicy
    notes: list[str] = field(default_factory=list)
    past: PastCampaigns | None = None  # past campaigns measured from their control groups


def run(
    job: ScoreJob,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> ScoreRun:
    """Run the job; `progress(done, total)` is called as rows are scored (local engine)."""
    if job.vectors is None and job.validate:
        try:
            require_valid(job.raw)
        except SchemaError as e:  # RawDataError included
            raise JobError(str(e)) from e
    try:
        models = load_models(settings)
    except ModelLoadError as e:
        raise JobError(str(e)) from e
    raw = job.raw if job.vectors is None else None  # given vectors: no raw tables to read
    past = measure_past(raw, job.out, job.as_of, job.control_share, models)
    policy = DecisionPolicy(
        budget_vnd=job.budget_vnd,
        control_share=job.control_share,
        campaign_id=f"RET-{job.as_of:%Y%m%d}",
        min_control=past.min_control if past else 1,
        exploration=cold_start(
            models, settings, job.vectors or job.out / "vectors.parquet", job.playbook
        ),
    )
    config = BatchConfig(
        chunk_rows=job.chunk_rows,
        reasons=job.reasons,
        policy=policy,
        reference=training_reference(settings, models),
    )
    notes: list[str] = []
    vectors = job.vectors
    if vectors is None:
        vectors = job.out / "vectors.parquet"
        rows = write_snapshot(job.raw, job.as_of, vectors)
        notes.append(f"snapshot {job.as_of}: {rows:,} eligible subscribers -> {vectors}")
    try:
        result = _score(vectors, models, job, config, progress)
    except FolderBusy as e:
        raise JobError(str(e)) from e
    store_uri = job.online_store or ServingConfig.from_env(settings).online_store
    if job.materialise and store_uri:
        notes.append(_materialise(store_uri, vectors, job, models))
    return ScoreRun(job, result, models, settings, policy, notes, past)


def _score(vectors: Path, models: Models, job: ScoreJob, config: BatchConfig, progress):
    if job.engine == "spark":
        from serving.batch.spark import score_parquet_spark

        return score_parquet_spark(vectors, models, job.out, config)
    import pyarrow.parquet as pq

    total = pq.ParquetFile(vectors).metadata.num_rows
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    return score_parquet(vectors, models, job.out, config, progress=step)


def _materialise(store_uri: str, vectors: Path, job: ScoreJob, models: Models) -> str:
    try:
        current = open_store(store_uri).meta().as_of
    except StoreError:
        current = None
    if current is not None and current > job.as_of:
        return f"online store {store_uri} holds a later snapshot ({current}); kept"
    materialise(
        parquet_chunks(vectors, job.chunk_rows),
        store_uri,
        job.as_of,
        models.feature_schema_version,
    )
    return f"online store -> {store_uri}"


def summary(run: ScoreRun) -> list[str]:
    """The lines `retain score` prints after a run: models against their baselines, the
    reconciliation, the Pareto view, the tiers, the campaign and where everything went."""
    result, models, settings, job = run.result, run.models, run.settings, run.job
    m = champion_metrics(settings, models)
    lines = [
        "",
        f"Retain summary, scores as of {job.as_of:%Y-%m-%d}",
        f"  churn model {models.churn.ref}: test ROC-AUC {m['churn_auc']:.3f} vs "
        f"recency baseline {m['churn_auc_baseline']:.3f}; top-decile lift "
        f"{m['churn_lift']:.2f} vs {m['churn_lift_baseline']:.2f}",
        f"  value model {models.value.ref}: test normalized Gini {m['value_gini']:.3f} vs "
        f"trailing-revenue baseline {m['value_gini_baseline']:.3f}",
        f"  rows in {result.rows_in:,} = scored {result.rows_scored:,} + "
        f"rejected {result.rows_rejected:,}",
        f"  top 20% of subscribers bring {result.revenue_top20_share:.0%} of the last "
        f"90 days' revenue ({result.predicted_value_top20_share:.0%} of predicted value)",
        f"  value tiers: {result.tier_counts}",
    ]
    c = result.campaign
    if c:
        lines.append(
            f"  campaign {run.policy.campaign_id}"
            + (
                " (EXPLORATION: randomised offers, no uplift model yet)"
                if c["purpose"] == "exploration"
                else ""
            )
            + f": contact {c['contacted']:,} "
            f"(+{c['control']:,} control) for {c['cost_vnd']:,.0f} VND of "
            f"{job.budget_vnd:,.0f}; expected net gain {c['expected_gain_vnd']:,.0f} VND; "
            f"offers {c['offers']}"
        )
    else:
        lines.append("  campaign: no uplift model registered (retain train-uplift), no offers")
    lines += measured_gain_line(run.past)
    out = result.scores_path.parent
    lines += [
        f"  MLflow store: {settings.tracking_uri}  (mlflow ui --backend-store-uri "
        f"{settings.tracking_uri})",
        "  HTTP server: retain serve --port 3000",
        f"scores -> {result.scores_path}; rejects -> {result.rejects_path}; report -> "
        f"{out / 'report.html'}" + (f"; campaign -> {out / 'campaign.csv'}" if c else ""),
    ]
    return lines
