"""`retain train`, `retain backtest`, `retain promote`, `retain train-table` and
`retain train-uplift` (training.uplift.cli): the retraining job's command line."""

from __future__ import annotations

import getpass
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from features.settings import Settings
from training.config import TrainConfig
from training.pipeline import train as run_training
from training.uplift.cli import app as uplift_app

app = typer.Typer()
app.registered_commands.extend(uplift_app.registered_commands)

Raw = Annotated[Path, typer.Option(help="Folder of raw tables")]
Config = Annotated[Path | None, typer.Option(help="TOML experiment config")]


def _config(config: Path | None, train_from=None, test_as_of=None) -> TrainConfig:
    cfg = TrainConfig.from_toml(config) if config else TrainConfig()
    if train_from:
        cfg = replace(cfg, train_from=train_from.date())
    if test_as_of:
        cfg = replace(cfg, test_as_of=test_as_of.date())
    return cfg


@app.command()
def train(
    raw: Raw = Path(".retain/data/raw"),
    config: Config = None,
    train_from: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First monthly cutoff")
    ] = None,
    test_as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Test cutoff; the month before validates"),
    ] = None,
    tune_trials: Annotated[
        int | None,
        typer.Option(
            min=0, help="Optuna trials per model before fitting (0 = off; [tuning] in the TOML)"
        ),
    ] = None,
    tune_minutes: Annotated[
        float | None, typer.Option(min=0.1, help="Wall-time ceiling of the search, minutes")
    ] = None,
    sample_rows: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Target rows per monthly snapshot: every churner and top-tier subscriber, a "
            "seeded share of the rest, weighted (0 = whole base; [sample] rows in the TOML)",
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="Builds the snapshots: local (DuckDB), or spark (local[*] unless "
            "RETAIN_SPARK_MASTER / RETAIN_SPARK_CONF say otherwise)"
        ),
    ] = "local",
) -> None:
    """Build monthly snapshots, backtest, fit churn (calibrated) and value models, evaluate
    them against their baselines and the current champion on the test cutoff, log the
    report to MLflow and register both as @challenger; `champion` moves only to a model
    that passes the promotion rule. Refuses (exit 2) raw data that fails validation: train
    on a `retain clean` output. With `--tune-trials N`, an Optuna search (N trials per
    model, scored on the validation snapshot, nested runs under this one) picks the churn
    and value settings first. The snapshots are streamed to Parquet and training reads a
    stratified, weighted sample of them (`--sample-rows`), so memory is set by the sample.
    With `--engine spark` the snapshots are built and written by Spark."""
    from features.contract.clean import RawDataError
    from features.sampling import SampleConfig
    from features.spark_engine import ENGINES

    if engine not in ENGINES:
        raise typer.BadParameter(f"need one of {', '.join(ENGINES)}", param_hint="--engine")
    cfg = _config(config, train_from, test_as_of)
    if sample_rows is not None:
        try:
            cfg = replace(cfg, sample=SampleConfig(rows=sample_rows))
        except ValueError as e:
            raise typer.BadParameter(str(e), param_hint="--sample-rows") from e
    if tune_trials is not None or tune_minutes is not None:
        t = cfg.tuning
        cfg = replace(
            cfg,
            tuning=replace(
                t,
                trials=t.trials if tune_trials is None else tune_trials,
                minutes=t.minutes if tune_minutes is None else tune_minutes,
            ),
        )
    settings = Settings.from_env()
    try:
        result = run_training(raw, cfg, settings, engine)
    except (RawDataError, ValueError) as e:  # refused data, a label window not covered
        typer.echo(f"error: {' '.join(str(e).split()) if not isinstance(e, RawDataError) else e}",
                   err=True)  # fmt: skip
        raise typer.Exit(2) from e
    typer.echo(
        f"\nChurn on the test snapshot {cfg.test_as_of} (model = calibrated; "
        "baseline = recency; champion when comparable):"
    )
    typer.echo(result.churn_test.round(4).to_string())
    typer.echo(
        f"\nValue over {cfg.snapshot.value_horizon_days} days (model = Tweedie, "
        "hurdle, baseline = trailing revenue):"
    )
    typer.echo(result.value_test.round(4).to_string())
    for kind, table in result.backtest.items():
        typer.echo(f"\n{kind} backtest, mean over rolling-origin folds:")
        typer.echo(table.round(4).to_string())
    for kind, version, ok, v in (
        ("churn", result.churn_version, result.churn_champion, result.churn_verdict),
        ("value", result.value_version, result.value_champion, result.value_verdict),
    ):
        name = settings.churn_model if kind == "churn" else settings.value_model
        state = f"-> @{settings.alias}" if ok else f"@challenger (@{settings.alias} unchanged)"
        typer.echo(f"registered {name} version {version} {state}: {v.text()}")
        if not ok:
            typer.echo(
                f"  to score with it anyway: retain promote {kind} --version {version} "
                '--force --reason "..."'
            )
    typer.echo(f"report {result.report_uri}")
    typer.echo(f"MLflow run {result.run_id} in {settings.tracking_uri}")


@app.command()
def backtest(
    raw: Raw = Path(".retain/data/raw"),
    config: Config = None,
    folds: Annotated[int, typer.Option(min=1, help="Test cutoffs")] = 3,
) -> None:
    """Rolling-origin backtest: the last FOLDS monthly cutoffs each tested by models trained
    only on snapshots whose labels ended before that fold's validation cutoff."""
    import tempfile

    from training.backtest import backtest as run_backtest
    from training.backtest import mean_over_folds
    from training.pipeline import training_sample

    cfg = _config(config)
    work = Settings.from_env().home / "work"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backtest-", dir=work) as folder:
        frame = training_sample(raw, cfg, Path(folder)).frame
    for kind, table in run_backtest(frame, cfg, folds, strict=True).items():
        typer.echo(f"\n{kind} per fold:\n{table.round(4).to_string()}")
        typer.echo(f"\n{kind} mean over folds:\n{mean_over_folds(table).round(4).to_string()}")


@app.command()
def promote(
    kind: Annotated[str, typer.Argument(help="churn or value")],
    version: Annotated[str | None, typer.Option(help="Version; default @challenger")] = None,
    config: Config = None,
    force: Annotated[bool, typer.Option(help="Override a refusal (needs --reason)")] = False,
    reason: Annotated[str, typer.Option(help="Why; recorded as a tag")] = "",
    who: Annotated[str | None, typer.Option(help="Who promotes; default the OS user")] = None,
) -> None:
    """Move @champion to the challenger only when it beats the champion on the same test
    snapshot by the configured margin and passes the sanity checks (calibration, no
    segment collapsing); --force --reason overrides, logged and tagged as an override."""
    from training.promotion import PromotionRefused
    from training.promotion import promote as run_promote

    cfg = _config(config)
    settings = Settings.from_env()
    try:
        v = run_promote(
            settings,
            kind,
            cfg.promotion,
            version=version,
            force=force,
            reason=reason,
            who=who or getpass.getuser(),
            when=datetime.now(UTC),
        )
    except PromotionRefused as e:
        typer.echo(f"refused: {e}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"promoted -> @{settings.alias}: {v.text()}")


@app.command("train-table")
def train_table(
    table: Annotated[Path, typer.Option(help="CSV or Parquet, one row per subscriber")],
    label: Annotated[str, typer.Option(help="Label column (yes/no, true/false, 1/0)")],
    id_column: Annotated[str | None, typer.Option(help="Subscriber id column")] = None,
    positive: Annotated[str | None, typer.Option(help="Label value meaning churn")] = None,
    folds: Annotated[int, typer.Option(min=2, help="Stratified CV folds")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Bring your own table: cross-validate LightGBM (calibrated; missing values kept)
    against a logistic regression (missing values imputed), then fit on every row, log the
    model to MLflow (a pyfunc with its calibration) and register it; says which columns it
    took as ids (named, or detected as id-like) and which as features."""
    from features.artefacts.table_model import TABLE_MODEL_NAME
    from training.table.model import TableSpec, prepare, read_table
    from training.table.tracking import log_table_model

    spec = TableSpec(label=label, id_column=id_column, positive=positive)
    try:
        X, y, ids = prepare(read_table(table), spec)
    except (OSError, KeyError, ValueError) as e:
        typer.echo(f"error: {e.args[0] if e.args else e}", err=True)
        raise typer.Exit(2) from e
    named = [c for c in ids if c == id_column]
    detected = [c for c in ids if c != id_column]
    typer.echo(
        f"ids: {', '.join(ids) or 'none'}"
        + (
            f" ({', '.join(detected)} detected as id-like, not used as features; name the "
            "subscriber id with --id-column)"
            if detected and not named
            else f" ({', '.join(detected)} detected as id-like, not used as features)"
            if detected
            else ""
        )
    )
    typer.echo(f"features ({X.shape[1]}): {', '.join(X.columns)}")
    settings = Settings.from_env()
    done = log_table_model(X, y, spec, settings, ids=ids, folds=folds, seed=seed, source=table)
    typer.echo(f"\n{folds}-fold stratified CV, mean (model vs logistic baseline):")
    typer.echo(done.cv.groupby(level="scorer", sort=False).mean().round(4).to_string())
    state = (
        f"-> @{settings.alias}" if done.champion else "(not above the baseline; alias unchanged)"
    )
    typer.echo(f"registered {TABLE_MODEL_NAME} version {done.version} {state}")
    typer.echo(f"MLflow run {done.run_id} in {settings.tracking_uri}")
