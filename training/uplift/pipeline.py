"""Train, evaluate and register the offer-uplift model."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

from features.artefacts.tags import RUN_ID_TAG, SCHEMA_TAG
from features.definitions import feature_schema_version
from features.settings import Settings
from training import tracking
from training.uplift.data import campaign_history
from training.uplift.learners import LEARNERS, OfferUplift, UpliftConfig
from training.uplift.metrics import auuc, qini_coefficient
from training.uplift.pooled import PooledSaveRate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpliftTrainConfig:
    test_campaigns: int = 2  # the latest campaigns with covered labels evaluate
    seed: int = 7
    threads: int = 2
    model: UpliftConfig = field(default_factory=UpliftConfig)


POOLED = "all offers"
RANDOM_DRAWS = 200


def _row(retained, t, score, rng) -> dict[str, float]:
    draws = [rng.random(len(score)) for _ in range(RANDOM_DRAWS)]
    q_random = [qini_coefficient(retained, t, d) for d in draws]
    return {
        "rows": int(len(score)),
        "qini": qini_coefficient(retained, t, score),
        "qini_random": float(np.mean(q_random)),
        "qini_random_sd": float(np.std(q_random)),
        "auuc": auuc(retained, t, score),
        "auuc_random": float(np.mean([auuc(retained, t, d) for d in draws[:20]])),
        "observed_uplift": float(retained[t].mean() - retained[~t].mean()),
    }


def evaluate(frame: pd.DataFrame, predicted: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Qini and AUUC on `frame` (later campaigns) beside a random ranking (the mean and
    spread of `RANDOM_DRAWS` random scores): per offer (its treated rows and every control)
    and pooled over offers (row `POOLED`: a treated row is scored with the offer it got, a
    control with the mean over offers, the uplift of the random offer it could have got)."""
    rng = np.random.default_rng(seed)
    treated = frame["treated"].to_numpy(dtype=bool)
    retained_all = 1.0 - frame["churned"].to_numpy(dtype=float)
    rows = {}
    for offer in predicted.columns:
        m = (frame["offer_id"].to_numpy() == offer) & treated | ~treated
        rows[offer] = _row(retained_all[m], treated[m], predicted[offer].to_numpy()[m], rng)
    rows[POOLED] = _row(retained_all, treated, pooled_score(frame, predicted), rng)
    return pd.DataFrame(rows).T


def pooled_score(frame: pd.DataFrame, per_offer: pd.DataFrame) -> np.ndarray:
    """One score per campaign row from per-offer columns: a treated row's is the offer it
    got, a control's the mean over offers (the uplift of the random offer it could have got)."""
    treated = frame["treated"].to_numpy(dtype=bool)
    sent = frame["offer_id"].to_numpy()
    score = per_offer.mean(axis=1).to_numpy().copy()
    for j, offer in enumerate(per_offer.columns):
        m = treated & (sent == offer)
        score[m] = per_offer.to_numpy()[m, j]
    return score


def beats_random(table: pd.DataFrame) -> bool:
    """The promotion rule: the pooled Qini on the later campaigns is positive and beats
    random rankings, i.e. exceeds their mean by two standard deviations (about 97.5% of
    them; above their mean alone, a random score would pass half the time)."""
    row = table.loc[POOLED]
    return bool(row["qini"] > max(0.0, row["qini_random"] + 2.0 * row["qini_random_sd"]))


def fit_learner(
    train: pd.DataFrame, base: pd.DataFrame, config: UpliftTrainConfig
) -> OfferUplift | PooledSaveRate:
    """The configured learner fitted on campaign rows (and, for "s", the untargeted base)."""
    if config.model.learner not in LEARNERS:
        raise ValueError(f"learner: '{config.model.learner}' is not one of {LEARNERS}")
    kw = {"config": config.model, "seed": config.seed, "threads": config.threads}
    if config.model.learner == "s":
        return PooledSaveRate(**kw).fit(train, base)
    return OfferUplift(**kw).fit(train, train["offer_id"], train["treated"], train["churned"])


@dataclass(frozen=True)
class UpliftResult:
    run_id: str
    version: str
    champion: bool
    table: pd.DataFrame


def split_by_campaign(
    frame: pd.DataFrame, test_campaigns: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = sorted(frame["sent_day"].unique())
    if len(days) <= test_campaigns:
        raise ValueError(
            f"campaigns: {len(days)} with covered labels; need more than "
            f"test_campaigns={test_campaigns}"
        )
    cut = days[-test_campaigns]
    return frame[frame["sent_day"] < cut], frame[frame["sent_day"] >= cut]


def train_uplift(raw: Path, config: UpliftTrainConfig, settings: Settings) -> UpliftResult:
    """Fit on earlier campaigns, evaluate on the latest ones, log and register; the alias
    moves only when `beats_random`."""
    frame, base = campaign_history(raw)
    train, test = split_by_campaign(frame, config.test_campaigns)
    model = fit_learner(train, base[base["sent_day"] < test["sent_day"].min()], config)
    table = evaluate(test, model.predict(test), config.seed)
    ok = beats_random(table)
    exp = tracking.experiment_id(settings)
    client = MlflowClient(settings.tracking_uri)
    with mlflow.start_run(experiment_id=exp, run_name="train-uplift") as run:
        mlflow.log_params(
            {f"uplift.{k}": v for k, v in asdict(config.model).items()}
            | {
                "test_campaigns": config.test_campaigns,
                "seed": config.seed,
                "train_rows": len(train),
                "test_rows": len(test),
                "feature_schema_version": feature_schema_version(),
            }
        )
        for offer, row in table.iterrows():
            key = "pooled" if offer == POOLED else offer
            mlflow.log_metrics({f"test_uplift_{key}_{k}": float(v) for k, v in row.items()})
        mlflow.log_metric("test_uplift_qini_pooled", float(table.loc[POOLED, "qini"]))
        if isinstance(model, PooledSaveRate):
            rate = model.save_rate_
            mlflow.log_metrics(
                {"save_rate": rate.estimate, "save_rate_se": rate.se, "save_rate_used": rate.used}
            )
        mlflow.log_text(table.to_csv(), "evaluation/uplift_test.csv")
        with tempfile.TemporaryDirectory() as tmp:
            model.model_.save(Path(tmp) / "uplift_model")
            mlflow.log_artifacts(str(Path(tmp) / "uplift_model"), "uplift_model")
        if not client.search_registered_models(f"name = '{settings.uplift_model}'"):
            client.create_registered_model(settings.uplift_model)
        mv = client.create_model_version(
            settings.uplift_model,
            f"{run.info.artifact_uri}/uplift_model",
            run.info.run_id,
            tags={
                SCHEMA_TAG: feature_schema_version(),
                RUN_ID_TAG: run.info.run_id,
                "learner": config.model.learner,
                "beats_random": str(ok),
            },
        )
        tracking.record_digests(settings.uplift_model, str(mv.version))
        if ok:
            tracking.set_alias(settings.uplift_model, settings.alias, str(mv.version))
    return UpliftResult(run.info.run_id, str(mv.version), ok, table)
