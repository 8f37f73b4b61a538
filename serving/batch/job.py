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
from serving.batch.chunks import BatchConfig, parquet_chunks, score_parquet
from serving.batch.outputs import FolderBusy
from serving.batch.reconcile import BatchResult
from serving.config import ServingConfig
from serving.decision import DecisionPolicy
from serving.language import LanguageError, check, language
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
    language: str | None = None  # of reasons, report and summary; default RETAIN_LANG

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise JobError(f"--engine: '{self.engine}' is not one of {', '.join(ENGINES)}")
        if self.language is not None:
            try:
                check(self.language)
            except LanguageError as e:
                raise JobError(f"--lang: {e}") from e


@dataclass
class ScoreRun:
    """What a run did: its result, the models it used and what it said on the way."""

    job: ScoreJob
    result: BatchResult
    models: Models
    settings: Settings
    policy: DecisionPolicy
    language: str = "en"
    notes: list[str] = field(default_factory=list)


def run(
    job: ScoreJob,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> ScoreRun:
    """Run the job; `progress(done, total)` is called as rows are scored (local engine)."""
    lang = job.language or settings.language
    try:
        check(lang)
    except LanguageError as e:
        raise JobError(f"RETAIN_LANG: {e}") from e
    if job.vectors is None and job.validate:
        try:
            require_valid(job.raw)
        except SchemaError as e:  # RawDataError included
            raise JobError(str(e)) from e
    try:
        models = load_models(settings)
    except ModelLoadError as e:
        raise JobError(str(e)) from e
    policy = DecisionPolicy(
        budget_vnd=job.budget_vnd,
        control_share=job.control_share,
        campaign_id=f"RET-{job.as_of:%Y%m%d}",
    )
    config = BatchConfig(
        chunk_rows=job.chunk_rows,
        reasons=job.reasons,
        policy=policy,
        reference=training_reference(settings, models),
        language=lang,
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
    return ScoreRun(job, result, models, settings, policy, lang, notes)


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
    """The lines `retain score` prints after a run, in the run's language: models against
    their baselines, the reconciliation, the Pareto view, the tiers, the campaign and where
    everything went."""
    result, models, settings, job = run.result, run.models, run.settings, run.job
    lang = language(run.language)
    _, num = lang.gettext, lang.number
    m = champion_metrics(settings, models)
    tiers = ", ".join(f"{lang.value_tier(k)} {num(v)}" for k, v in result.tier_counts.items())
    lines = [
        "",
        _("Retain summary, scores as of {day}").format(day=lang.date(job.as_of)),
        "  "
        + _(
            "churn model {model}: test ROC-AUC {auc} vs recency baseline {base}; "
            "top-decile lift {lift} vs {lift_base}"
        ).format(
            model=models.churn.ref,
            auc=num(m["churn_auc"], 3),
            base=num(m["churn_auc_baseline"], 3),
            lift=num(m["churn_lift"], 2),
            lift_base=num(m["churn_lift_baseline"], 2),
        ),
        "  "
        + _(
            "value model {model}: test normalized Gini {gini} vs trailing-revenue baseline {base}"
        ).format(
            model=models.value.ref,
            gini=num(m["value_gini"], 3),
            base=num(m["value_gini_baseline"], 3),
        ),
        "  "
        + _("rows in {rows_in} = scored {scored} + rejected {rejected}").format(
            rows_in=num(result.rows_in),
            scored=num(result.rows_scored),
            rejected=num(result.rows_rejected),
        ),
        "  "
        + _(
            "top 20% of subscribers bring {revenue} of the last 90 days' revenue "
            "({predicted} of predicted value)"
        ).format(
            revenue=lang.percent(result.revenue_top20_share),
            predicted=lang.percent(result.predicted_value_top20_share),
        ),
        "  " + _("value tiers: {tiers}").format(tiers=tiers),
    ]
    c = result.campaign
    if c:
        offers = ", ".join(f"{k} {num(v)}" for k, v in c["offers"].items())
        lines.append(
            "  "
            + _(
                "campaign {campaign}: contact {contacted} (+{control} control) for {cost} of "
                "{budget}; expected net gain {gain}; offers {offers}"
            ).format(
                campaign=run.policy.campaign_id,
                contacted=num(c["contacted"]),
                control=num(c["control"]),
                cost=lang.vnd(c["cost_vnd"]),
                budget=lang.vnd(job.budget_vnd),
                gain=lang.vnd(c["expected_gain_vnd"]),
                offers=offers,
            )
        )
    else:
        lines.append(
            "  " + _("campaign: no uplift model registered (retain train-uplift), no offers")
        )
    out = result.scores_path.parent
    lines += [
        f"  MLflow store: {settings.tracking_uri}  (mlflow ui --backend-store-uri "
        f"{settings.tracking_uri})",
        "  HTTP server: retain serve --port 3000",
        f"scores -> {result.scores_path}; rejects -> {result.rejects_path}; report -> "
        f"{out / 'report.html'}" + (f"; campaign -> {out / 'campaign.csv'}" if c else ""),
    ]
    return lines
