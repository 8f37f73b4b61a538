"""`retain score` as a sequence: check the raw tables, load the pinned models, write the
snapshot, score it on the chosen engine, materialise the online store, summarise.

The CLI only parses options and prints; this module decides. Every step that can refuse
raises `JobError` with one message before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from features.contract.clean import require_valid
from features.contract.guard import OutputRefused, check_as_of, check_output
from features.contract.schema import SchemaError
from features.settings import Settings
from features.snapshot import SnapshotConfig, write_snapshot
from features.spark_engine import ENGINES
from serving.batch.campaign_measure import cold_start, measure_past
from serving.batch.chunks import BatchConfig, parquet_chunks, score_parquet
from serving.batch.outputs import FolderBusy, is_output, sole_writer
from serving.batch.reconcile import BatchResult
from serving.campaign_gain import PastCampaigns
from serving.config import ServingConfig
from serving.decision import DecisionPolicy
from serving.language import LanguageError, check
from serving.online_store import StoreError, materialise, open_store
from serving.registry import ModelLoadError, Models, load_models
from serving.training_run import training_reference

log = logging.getLogger(__name__)


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
    # Reasons (a SHAP pass, ~80x a prediction) for every row; False: the campaign rows only
    reasons: bool = False
    online_store: str | None = None  # default: the serving configuration's store
    materialise: bool = True
    engine: str = "local"
    budget_vnd: float = 50_000_000
    control_share: float = 0.1
    validate: bool = True
    allow_future: bool = False  # an as_of after the data's end (never before its start)
    # The snapshot as the models were trained (their stored configuration), unless overridden
    eligibility_days: int | None = None
    lookback_days: int | None = None
    playbook: Path | None = None  # exploration playbook; None = the one shipped with Retain
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
    past: PastCampaigns | None = None  # past campaigns measured from their control groups


def run(
    job: ScoreJob,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    models: Models | None = None,
) -> ScoreRun:
    """Run the job; `progress(done, total)` is called as rows are scored (local engine).
    `models`: the model set to score with (the service's pinned one), else the registry's."""
    _check_inputs(job)
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
        models = models or load_models(settings)
    except ModelLoadError as e:
        raise JobError(str(e)) from e
    try:
        # before the first byte: a second job never overwrites
        with sole_writer(job.out, nested=True):
            raw = job.raw if job.vectors is None else None  # given vectors: no raw tables
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
                language=lang,
            )
            notes: list[str] = []
            vectors = job.vectors
            if vectors is None:
                vectors = job.out / "vectors.parquet"
                snap = snapshot_config(models, job)
                rows = write_snapshot(job.raw, job.as_of, vectors, snap)
                notes.append(
                    f"snapshot {job.as_of} (active in the last {snap.eligibility_days} days): "
                    f"{rows:,} eligible subscribers -> {vectors}"
                )
            result = _score(vectors, models, job, config, progress)
            store_uri = job.online_store or ServingConfig.from_env(settings).online_store
            if job.materialise and store_uri and result.rows_scored == 0:
                notes.append(f"online store {store_uri}: kept (no subscriber scored)")
            elif job.materialise and store_uri:
                notes.append(_materialise(store_uri, vectors, job, models))
    except FolderBusy as e:
        raise JobError(str(e)) from e
    return ScoreRun(job, result, models, settings, policy, lang, notes, past)


def _check_inputs(job: ScoreJob) -> None:
    """Refuse, before anything is written, an output folder that could destroy an input or
    a file the job did not write, a missing vectors file, and a date outside the data."""
    inputs = [job.vectors] if job.vectors is not None else [job.raw]
    try:
        check_output(job.out, inputs, is_output)
        if job.vectors is None:
            check_as_of(job.raw, job.as_of, job.allow_future)
    except OutputRefused as e:
        raise JobError(str(e)) from e
    if job.vectors is not None:
        if not job.vectors.is_file():
            raise JobError(f"--vectors {job.vectors}: no such file")
        dates = vector_dates(job.vectors)
        if dates != {job.as_of}:
            shown = ", ".join(str(d) for d in sorted(dates)[:3]) or "no rows"
            raise JobError(f"--vectors {job.vectors} holds vectors as of {shown}, not "
                           f"--as-of {job.as_of}: score them as of their own date")  # fmt: skip


def vector_dates(path: Path) -> set[date]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    column = pq.read_table(path, columns=["as_of"]).column("as_of")
    return {d.as_py() if hasattr(d, "as_py") else d for d in pc.unique(column)}


def snapshot_config(models: Models, job: ScoreJob) -> SnapshotConfig:
    """The models' stored snapshot configuration with the job's overrides."""
    changes = {
        k: v
        for k, v in (
            ("eligibility_days", job.eligibility_days),
            ("lookback_days", job.lookback_days),
        )
        if v is not None
    }
    try:
        return replace(models.snapshot, **changes)
    except ValueError as e:
        raise JobError(str(e)) from e


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
