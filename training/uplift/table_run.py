"""`retain train-uplift --table`: learn, evaluate (out of fold), log and register an uplift
model from a campaign table the user brings (`training.uplift.table`)."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from features.artefacts.tags import RUN_ID_TAG, SCHEMA_TAG
from features.settings import Settings
from training import tracking
from training.table.model import read_table
from training.uplift.pipeline import POOLED, UpliftResult, beats_random
from training.uplift.table import (
    CampaignTableSpec,
    TableUplift,
    TableUpliftConfig,
    prepare_campaign,
)


def train_uplift_table(
    path: Path, spec: CampaignTableSpec, config: TableUpliftConfig, settings: Settings
) -> UpliftResult:
    """Fit on the table, evaluate out of fold, log and register under the uplift model's
    name; the alias moves only when the model `beats_random`."""
    table = prepare_campaign(read_table(path), spec)
    model = TableUplift(config=config).fit(table)
    result = model.oof_tables_[model.outcome_model_]  # `evaluate_table` of the kept model
    ok = beats_random(result)
    client = MlflowClient(settings.tracking_uri)
    name = settings.uplift_model
    with mlflow.start_run(
        experiment_id=tracking.experiment_id(settings), run_name="train-uplift-table"
    ) as run:
        mlflow.log_params(
            {f"uplift.{k}": v for k, v in asdict(config).items()}
            | {f"table.{k}": v for k, v in asdict(spec).items()}
            | {"table": str(path), "rows": len(table.y), "outcome_kind": table.outcome_kind}
            | {"outcome_model": model.outcome_model_}
        )
        for kind, t in model.oof_tables_.items():  # every candidate's, beside the one kept
            mlflow.log_metric(f"oof_uplift_{kind}_qini_pooled", float(t.loc[POOLED, "qini"]))
        for arm, row in result.iterrows():
            key = "pooled" if arm == POOLED else arm
            mlflow.log_metrics({f"oof_uplift_{key}_{k}": float(v) for k, v in row.items()})
        mlflow.log_metrics(
            {f"policy_value_{k}": v for k, v in model.policy_values_.items()}
            | {f"cost_{a}": c for a, c in table.cost.items()}
        )
        mlflow.log_text(result.to_csv(), "evaluation/uplift_oof.csv")
        with tempfile.TemporaryDirectory() as tmp:
            model.model_.save(Path(tmp) / "uplift_model")
            mlflow.log_artifacts(str(Path(tmp) / "uplift_model"), "uplift_model")
        if not client.search_registered_models(f"name = '{name}'"):
            client.create_registered_model(name)
        mv = client.create_model_version(
            name,
            f"{run.info.artifact_uri}/uplift_model",
            run.info.run_id,
            tags={
                SCHEMA_TAG: model.model_.spec.feature_schema_version,
                RUN_ID_TAG: run.info.run_id,
                "learner": "table",
                "outcome": table.outcome_kind,
                "outcome_model": model.outcome_model_,
                "beats_random": str(ok),
                "blanket_arm": model.blanket_ or "",
            },
        )
        tracking.record_digests(name, str(mv.version))
        if ok:
            tracking.set_alias(name, settings.alias, str(mv.version))
    return UpliftResult(run.info.run_id, str(mv.version), ok, result)
