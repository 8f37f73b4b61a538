"""Batch benchmark: scoring + segments for N subscribers vs the two boosters' raw predict.

    flock /tmp/retain-bench.lock .venv/bin/python -m bench.batch [--rows 1000000]

Needs trained champions under RETAIN_HOME and raw data (RETAIN_RAW, default
$RETAIN_HOME/data/raw) to take one snapshot from: `make demo` provides both. The N rows
are the snapshot's vectors replicated with fresh ids and multiplicative noise on numeric
features, kept within each feature's plausible range (`features.vector.RANGES`) so that they
are scored, not rejected. Reference, in the same run on the same rows: `booster.predict` of
the churn and value models on the encoded matrix (the model alone). Retain: the batch job
from a Parquet file in 200k-row chunks as `retain score` runs it by default (boundary
check, churn, calibration, value with its BTYD inputs, survival curves and lifetime value,
tiers, states, value at risk, offers, the campaign planned over the whole base with the
reasons of its rows, reconciliation, report, Parquet out), timed whole.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.fingerprint import write_result
from features.definitions import NUMERIC, feature_schema_version
from features.settings import Settings
from features.snapshot import build_snapshot
from features.vector import RANGES
from serving.batch.campaign_measure import cold_start
from serving.batch.chunks import BatchConfig, score_parquet
from serving.decision import DecisionPolicy
from serving.encoding import encode, model_inputs
from serving.registry import load_models


def replicate(vectors: pd.DataFrame, rows: int, path: Path, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    writer, done = None, 0
    while done < rows:
        n = min(len(vectors), rows - done)
        part = vectors.sample(n=n, replace=True, random_state=int(rng.integers(1 << 31)))
        part = part.reset_index(drop=True)
        part["subscriber_id"] = np.arange(done + 1, done + n + 1, dtype=np.int64)
        for c in NUMERIC:
            if c in part:
                lo, hi = RANGES[c]
                noisy = (part[c] * rng.lognormal(0, 0.1, n)).round(1)
                part[c] = noisy.clip(lo, hi)  # within the contract: scored, not rejected
        t = pa.Table.from_pandas(part, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, t.schema)
        writer.write_table(t)
        done += n
    writer.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--as-of", default="2025-09-01")
    args = ap.parse_args()
    settings = Settings.from_env()
    import os

    raw = Path(os.environ.get("RETAIN_RAW", settings.home / "data" / "raw"))
    tmp = Path(tempfile.mkdtemp(prefix="retain-bench-batch-"))
    models = load_models(settings, dest=tmp / "models")
    if models.feature_schema_version != feature_schema_version():
        raise SystemExit(
            f"the champions in {settings.home} were trained on feature schema "
            f"{models.feature_schema_version}, the code is at {feature_schema_version()}: "
            "retrain them (make demo) before measuring"
        )
    vectors = build_snapshot(raw, date.fromisoformat(args.as_of))
    path = tmp / "vectors.parquet"
    replicate(vectors, args.rows, path)
    frame = pq.read_table(path).to_pandas()
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    X = encode(cols, models.churn.booster)
    Xv = encode(model_inputs(cols, models.value), models.value.booster)
    t = time.perf_counter()
    models.churn.booster.predict(X)
    models.value.booster.predict(Xv)
    raw_s = time.perf_counter() - t
    del frame, cols, X, Xv
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # As `retain score` plans it: the uplift campaign, or without an uplift model the
    # exploration campaign of the shipped playbook.
    policy = DecisionPolicy(exploration=cold_start(models, settings, path, None))
    t = time.perf_counter()
    result = score_parquet(path, models, tmp / "out", BatchConfig(reasons=False, policy=policy))
    retain_s = time.perf_counter() - t
    campaign = pq.read_table(tmp / "out" / "campaign.parquet").to_pandas()
    with_reasons = int(campaign["reasons"].map(lambda r: r is not None).sum())
    out = {
        "rows": args.rows,
        "churn_trees": models.churn.booster.num_trees(),
        "value_trees": models.value.booster.num_trees(),
        "features": models.churn.booster.num_feature(),
        "raw_predict_rows_per_s": args.rows / raw_s,
        "retain_batch_rows_per_s": args.rows / retain_s,
        "ratio_retain_to_raw": raw_s / retain_s,
        "campaign_rows": len(campaign),
        "campaign_rows_with_reasons": with_reasons,
        "peak_rss_mb_before_batch": rss_before / 1024,
        "peak_rss_mb_after_batch": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows_in": result.rows_in,
        "rows_scored": result.rows_scored,
        "rows_rejected": result.rows_rejected,
    }
    print(f"{'measure':<40}{'value':>16}")
    for k, v in out.items():
        print(f"{k:<40}{v:>16,.1f}" if isinstance(v, float) else f"{k:<40}{v:>16,}")
    path = write_result(
        "batch",
        out,
        code=("bench/batch.py",),
        settings={
            "rows": args.rows,
            "as_of": args.as_of,
            "chunk_rows": BatchConfig().chunk_rows,
            "models": [models.churn.ref, models.value.ref],
            "home": "RETAIN_HOME after make demo",
        },
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
