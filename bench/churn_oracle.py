"""Churn model against the oracle on the default synthetic operator.

    python -m bench.churn_oracle [--subscribers 20000] [--work DIR]

Generates the default operator (raw tables and, beside them, the generator's truth), trains
Retain with the default config, and on the test snapshot compares the calibrated model's
ROC-AUC with the oracle's (the true 30-day churn probability from the generator), and the
model's expected calibration error. Acceptance: model AUC >= 0.97 x oracle AUC, ECE < 0.02.

A diagnostic row, "feature ceiling", is the same LightGBM settings fitted to the truth itself
(each training row's true churn probability as a cross-entropy target, no label noise): the
best these features can rank when the fit is given the answer. When the model is close to
it, what separates the model from the oracle is what the generator keeps latent (each
subscriber's baseline hazard, whether a leaver goes quietly, the exact day of exit), not
the model or its training. The ceiling uses the truth for fitting and is never a product
score; it is printed only to say where the gap lies.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from bench.fingerprint import write_result
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import read_truth
from features.training_set import build_training_set
from features.vector import model_frame
from training.config import TrainConfig
from training.dataset import temporal_split
from training.metrics import brier, expected_calibration_error, roc_auc
from training.models import booster_params
from training.pipeline import fit_and_evaluate


def feature_ceiling(
    frame: pd.DataFrame, truth: pd.DataFrame, cfg: TrainConfig, test: pd.DataFrame
) -> np.ndarray:
    """Scores of the churn settings fitted to the true probabilities of the training rows."""
    split = temporal_split(
        frame, cfg.validation_as_of, cfg.test_as_of, cfg.snapshot.churn_horizon_days
    )
    train = split.train.merge(truth, on=["subscriber_id", "as_of"], how="left")
    c = cfg.churn
    params = booster_params(c, cfg.seed, cfg.threads) | {"objective": "cross_entropy"}
    data = lgb.Dataset(model_frame(train), label=train["churn_probability_30d"].to_numpy())
    return lgb.train(params, data, num_boost_round=c.max_rounds).predict(model_frame(test))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=GeneratorConfig().subscribers)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    work = args.work or Path(tempfile.mkdtemp(prefix="retain-oracle-"))
    raw = work / "raw"
    if not raw.exists():
        generate_operator(GeneratorConfig(subscribers=args.subscribers), raw)
    cfg = TrainConfig()
    t0 = time.perf_counter()
    frame, _ = build_training_set(raw, cfg.cutoffs, cfg.snapshot)
    fitted = fit_and_evaluate(frame, cfg)
    seconds = time.perf_counter() - t0
    truth = read_truth(raw.parent / "truth", "churn_probability")
    truth["as_of"] = pd.to_datetime(truth["as_of"]).dt.date
    test = fitted.test[["subscriber_id", "as_of", cfg.snapshot.churn_label]].merge(
        truth, on=["subscriber_id", "as_of"], how="left", validate="one_to_one"
    )
    if test["churn_probability_30d"].isna().any():
        raise ValueError("truth: some test subscribers have no churn_probability_30d row")
    y = test[cfg.snapshot.churn_label].to_numpy()
    oracle = test["churn_probability_30d"].to_numpy()
    raw_p = fitted.churn.predict_proba(fitted.test)
    ceiling = feature_ceiling(frame, truth, cfg, fitted.test)
    scores = {
        "oracle": oracle,
        "model": fitted.churn_scores["model"],
        "model_raw": raw_p,
        "baseline": fitted.churn_scores["baseline"],
        "feature ceiling (fitted to the truth)": ceiling,
    }
    table = pd.DataFrame(
        {
            k: {
                "roc_auc": roc_auc(y, p),
                "brier": brier(y, p),
                "ece": expected_calibration_error(y, p),
            }
            for k, p in scores.items()
        }
    ).T
    table["auc_vs_oracle"] = table["roc_auc"] / table.loc["oracle", "roc_auc"]
    m = table.loc["model"]
    ok = bool(m["auc_vs_oracle"] >= 0.97 and m["ece"] < 0.02)
    print(
        f"\ndefault operator ({args.subscribers:,} subscribers), test snapshot "
        f"{cfg.test_as_of}: {len(y):,} eligible, churn rate {np.mean(y):.4f}"
    )
    print(table.round(4).to_string())
    print(
        f"model / oracle ROC-AUC {m['auc_vs_oracle']:.4f}, ECE {m['ece']:.4f}; acceptance "
        f"(>= 0.97, < 0.02): {'PASS' if ok else 'FAIL'}; fit {seconds:.0f}s"
    )
    path = write_result(
        "churn_oracle",
        json.loads(
            json.dumps(
                {
                    "subscribers": args.subscribers,
                    "test_as_of": cfg.test_as_of.isoformat(),
                    "rows": len(y),
                    "table": table.to_dict(orient="index"),
                    "acceptance": {"auc_ratio_min": 0.97, "ece_max": 0.02, "pass": ok},
                    "seconds": round(seconds, 1),
                },
                default=float,
            )
        ),
        code=("bench/churn_oracle.py",),
        settings={"train": str(cfg)},
        generator={"subscribers": args.subscribers, "defaults": "GeneratorConfig()"},
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
