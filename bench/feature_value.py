"""Do the new feature families help? Churn PR-AUC with the first issue's features vs all.

One command: `flock /tmp/retain-bench.lock python -m bench.feature_value`. On the default
synthetic operator (`GeneratorConfig()`, written once to /tmp/retain-bench/operator-<key>,
the key a hash of the generator's settings and code, `bench.fingerprint.cache_key`),
the training set of `TrainConfig()`'s monthly cutoffs is split by time exactly as the
training job splits it; two LightGBM churn models with the same parameters (those of
`training.models` for `ChurnConfig()`), the same seed and the same rows are fitted, one on
the 48 features of the first issue (commit c90ec70) and one on every current feature, and
scored on the test snapshot. The days-since-last-billable baseline is in the same table.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path

import lightgbm as lgb
import pandas as pd

from bench.fingerprint import cache_key, write_result
from features.definitions import CATEGORICAL, FEATURE_NAMES
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.training_set import build_training_set
from training.config import ChurnConfig, TrainConfig
from training.dataset import temporal_split
from training.metrics import pr_auc, roc_auc
from training.models import booster_params

log = logging.getLogger(__name__)

CACHE = Path("/tmp/retain-bench")
FIRST_ISSUE = [  # FEATURE_NAMES at commit c90ec70
    "contract_type",
    "province",
    "region",
    "customer_type",
    "device_type",
    "age_band",
    "acquisition_channel",
    "tenure_days",
    "voice_out_calls_sum_7d",
    "voice_out_min_sum_7d",
    "voice_in_min_sum_7d",
    "sms_out_sum_7d",
    "data_mb_sum_7d",
    "revenue_vnd_sum_7d",
    "dropped_calls_sum_7d",
    "active_days_7d",
    "voice_out_calls_sum_30d",
    "voice_out_min_sum_30d",
    "voice_in_min_sum_30d",
    "sms_out_sum_30d",
    "data_mb_sum_30d",
    "revenue_vnd_sum_30d",
    "dropped_calls_sum_30d",
    "active_days_30d",
    "voice_out_calls_sum_90d",
    "voice_out_min_sum_90d",
    "voice_in_min_sum_90d",
    "sms_out_sum_90d",
    "data_mb_sum_90d",
    "revenue_vnd_sum_90d",
    "dropped_calls_sum_90d",
    "active_days_90d",
    "recharge_count_30d",
    "recharge_vnd_sum_30d",
    "recharge_count_90d",
    "recharge_vnd_sum_90d",
    "recharge_vnd_mean_90d",
    "recharge_vnd_max_90d",
    "care_contacts_count_30d",
    "care_contacts_count_90d",
    "care_unresolved_count_90d",
    "care_network_count_90d",
    "care_port_out_inquiry_count_90d",
    "days_since_last_billable",
    "days_since_last_recharge",
    "tariff_plan",
    "plan_changes_count_90d",
    "package_purchases_count_30d",
]


def _frame(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for c in names:
        col = frame[c]
        out[c] = col.astype("string").astype("category") if c in CATEGORICAL else col.astype(float)
    return out


def fit_score(train, valid, test, names: list[str], label: str, config: TrainConfig):
    params = booster_params(config.churn, config.seed, config.threads) | {
        "objective": "binary",
        "metric": "binary_logloss",
    }
    dtrain = lgb.Dataset(_frame(train, names), label=train[label])
    dvalid = lgb.Dataset(_frame(valid, names), label=valid[label], reference=dtrain)
    booster = lgb.train(
        params,
        dtrain,
        num_boost_round=config.churn.max_rounds,
        valid_sets=[dvalid],
        callbacks=[lgb.early_stopping(config.churn.early_stopping_rounds, verbose=False)],
    )
    return booster.predict(_frame(test, names), num_iteration=booster.best_iteration)


def main() -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    generator = asdict(GeneratorConfig())
    raw = CACHE / f"operator-{cache_key(generator)}" / "raw"
    if not (raw / "manifest.json").exists():  # written last: its presence means complete
        generate_operator(GeneratorConfig(), raw)
    config = TrainConfig()
    assert config.churn == ChurnConfig()
    start = time.perf_counter()
    frame, manifest = build_training_set(raw, config.cutoffs, config.snapshot)
    built = time.perf_counter() - start
    label = config.snapshot.churn_label
    split = temporal_split(
        frame, config.validation_as_of, config.test_as_of, config.snapshot.churn_horizon_days
    )
    y = split.test[label].to_numpy()
    scores = {
        f"first issue ({len(FIRST_ISSUE)} features)": fit_score(
            split.train, split.validation, split.test, FIRST_ISSUE, label, config
        ),
        f"all families ({len(FEATURE_NAMES)} features)": fit_score(
            split.train, split.validation, split.test, list(FEATURE_NAMES), label, config
        ),
        "baseline: days since last billable": split.test["days_since_last_billable"]
        .fillna(10_000)
        .to_numpy(),
    }
    rows = {
        k: {"pr_auc": round(pr_auc(y, s), 4), "roc_auc": round(roc_auc(y, s), 4)}
        for k, s in scores.items()
    }
    result = {
        "operator": "GeneratorConfig()",
        "cutoffs": manifest["cutoffs"],
        "train_rows": len(split.train),
        "test_as_of": config.test_as_of.isoformat(),
        "test_rows": len(split.test),
        "test_churn_rate": round(float(y.mean()), 4),
        "training_set_build_s": round(built, 1),
        "churn_test": rows,
    }
    print(
        f"\nchurn on the test snapshot {config.test_as_of} ({len(y):,} rows, rate {y.mean():.3f})"
    )
    print(f"{'features':<42}{'PR-AUC':>8}{'ROC-AUC':>9}")
    for k, r in rows.items():
        print(f"{k:<42}{r['pr_auc']:>8.4f}{r['roc_auc']:>9.4f}")
    path = write_result(
        "feature_value",
        result,
        code=("bench/feature_value.py",),
        settings={"train": str(TrainConfig()), "first_issue_features": FIRST_ISSUE},
        generator=generator,
    )
    print(f"results -> {path}")
    return result


if __name__ == "__main__":
    main()
