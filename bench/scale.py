"""Retain at scale: each stage of a full run, its wall time and peak memory, for a size sweep;
the fitted cost per subscriber of each stage; what a 30M and a 60M base need.

    flock /tmp/retain-bench.lock python -m bench.scale [--sizes 200000 1000000] [--with-5m]

For each size, 12 months of the synthetic operator, in a fresh folder and RETAIN_HOME under
/tmp/retain-bench/scale-<n>, every stage is the real `retain` command run as a child process:

- generate: `retain generate`; clean: `retain clean`; snapshot: `retain snapshot` (the
  scoring month's vectors); train: `retain train` (sampled, `[sample] rows` default), then
  the versions trained are pinned as champions (`retain promote --force`, not timed);
- score: `retain score --vectors` with `--budget-vnd 0`: scores, reasons, rejects,
  reconciliation and report, the planner contacting nobody;
- plan: the same job with the default budget: the campaign is planned over the whole base
  (uplift or, with none registered, the exploration playbook), its control group drawn.
  The planner runs inside the scoring job (the gains are never written out), so `plan`
  includes scoring; `plan_only_s` = plan - score is its own wall time.

The Spark path in local mode (`local[2]`, the machine's cores) is measured the same way:
`retain train --engine spark` and `retain score --engine spark`. Wall time is the child's;
peak RSS is `os.wait4`'s `ru_maxrss` for that child (the largest single process among it and
the descendants it waited for, e.g. Spark's JVM; not the sum of processes alive at once).

The cost per subscriber of each stage is the least-squares slope of wall time on
subscribers (with an intercept) over the sizes run; the projection multiplies it out:
hours on this machine for 30M and 60M, and for the Spark stages, core-hours from the
measured per-core throughput in local mode, divided by `SparkConfig.executor_cores` to give
executor-hours (executors x hours).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.fingerprint import write_result
from features.spark_engine import SparkConfig

log = logging.getLogger(__name__)

WORK = Path(os.environ.get("RETAIN_BENCH_SCALE", "/tmp/retain-bench"))
MONTHS, START = 12, "2025-01-01"
TRAIN_FROM, TEST_AS_OF, SCORE_AS_OF = "2025-05-01", "2025-10-01", "2025-12-01"
STAGES = ("generate", "clean", "snapshot", "train", "score", "plan")
SPARK_STAGES = ("train_spark", "score_spark")
PROJECT = (30_000_000, 60_000_000)
SPARK_CORES = 2  # local[2]: this machine's cores


def run_stage(args: list[str], env: dict[str, str]) -> dict:
    """Run `retain ARGS` as a child: its wall time and peak RSS (MiB)."""
    retain = [sys.executable, "-c", "from features.cli import main; main()", *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(retain, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # The output is read after exit; keep it bounded by reading as it comes.
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = out.decode(errors="replace")[-3000:]
        raise RuntimeError(f"retain {args[0]} failed ({proc.returncode}):\n{tail}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def measure(n: int, spark: bool) -> dict:
    root = WORK / f"scale-{n}"
    shutil.rmtree(root, ignore_errors=True)
    home = root / "home"
    env = os.environ | {
        "RETAIN_HOME": str(home),
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        "RETAIN_SPARK_MASTER": f"local[{SPARK_CORES}]",
    }
    raw, clean, snap = root / "raw", root / "clean", root / "vectors.parquet"
    split = ["--train-from", TRAIN_FROM, "--test-as-of", TEST_AS_OF]
    stages = {}
    log.info("%d subscribers: generate", n)
    stages["generate"] = run_stage(
        ["generate", "--out", str(raw), "--subscribers", str(n), "--months", str(MONTHS)], env
    )
    stages["clean"] = run_stage(["clean", "--raw", str(raw), "--out", str(clean)], env)
    stages["snapshot"] = run_stage(
        ["snapshot", "--as-of", SCORE_AS_OF, "--raw", str(clean), "--out", str(snap)], env
    )
    log.info("%d subscribers: train", n)
    stages["train"] = run_stage(["train", "--raw", str(clean), *split], env)
    for kind in ("churn", "value"):
        run_stage(["promote", kind, "--force", "--reason", "bench.scale: the run's own"], env)
    score = ["score", "--as-of", SCORE_AS_OF, "--vectors", str(snap), "--no-materialise"]
    stages["score"] = run_stage([*score, "--out", str(root / "score"), "--budget-vnd", "0"], env)
    stages["plan"] = run_stage([*score, "--out", str(root / "plan")], env)
    row = {"subscribers": n, "stages": stages}
    row["plan_only_s"] = round(stages["plan"]["wall_s"] - stages["score"]["wall_s"], 2)
    if spark:
        log.info("%d subscribers: Spark", n)
        spark_train = ["train", "--raw", str(clean), *split, "--engine", "spark"]
        spark_score = [*score, "--out", str(root / "spark"), "--engine", "spark"]
        row["spark_stages"] = {
            "train_spark": run_stage(spark_train, env),
            "score_spark": run_stage(spark_score, env),
        }
    shutil.rmtree(root, ignore_errors=True)
    return row


def per_subscriber(sizes: list[dict], key: str, stages: tuple[str, ...]) -> dict:
    """Seconds per subscriber of each stage: the least-squares slope over the sizes."""
    n = np.array([s["subscribers"] for s in sizes], dtype=float)
    out = {}
    for stage in stages:
        wall = np.array([s[key][stage]["wall_s"] for s in sizes])
        slope = np.polyfit(n, wall, 1)[0] if len(n) > 1 else wall[0] / n[0]
        out[stage] = float(slope)
    return out


def projection(cost: dict, spark_cost: dict | None, executor_cores: int) -> dict:
    """Hours on this machine for each projected base (every stage, one after the other);
    and, for the Spark path, executors x hours at the measured per-core throughput."""
    out = {}
    for n in PROJECT:
        row = {"machine_hours": round(n * sum(cost.values()) / 3600, 2)}
        if spark_cost:
            core_hours = n * sum(spark_cost.values()) * SPARK_CORES / 3600
            row["spark_core_hours"] = round(core_hours, 2)
            row["spark_executor_hours"] = round(core_hours / executor_cores, 2)
        out[str(n)] = row
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--with-5m", action="store_true", help="add 5,000,000 subscribers")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark path")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    sizes = sorted(set(args.sizes) | ({5_000_000} if args.with_5m else set()))
    rows = [measure(n, not args.no_spark) for n in sizes]
    cost = per_subscriber(rows, "stages", STAGES)
    spark_cost = None if args.no_spark else per_subscriber(rows, "spark_stages", SPARK_STAGES)
    # The base run: plan includes score, so the machine's total counts plan_only once.
    base = {k: v for k, v in cost.items() if k != "score"}
    executor_cores = SparkConfig().executor_cores
    result = {
        "note": (
            "each stage a `retain` child process; wall_s its wall time, peak_rss_mb os.wait4's "
            "ru_maxrss (largest single process); plan = the whole scoring job with the "
            "campaign planned (includes score); Spark stages in local[2]"
        ),
        "months": MONTHS,
        "cpu_count": os.cpu_count(),
        "sizes": rows,
        "seconds_per_subscriber": cost,
        "spark_seconds_per_subscriber": spark_cost,
        "spark_executor_cores": executor_cores,
        "projection": projection(base, spark_cost, executor_cores),
    }
    for r in rows:
        log.info("%s", r)
    log.info("projection %s", result["projection"])
    path = write_result(
        "scale",
        result,
        code=("features", "training", "serving", "bench/scale.py"),
        settings={"sizes": sizes, "months": MONTHS, "spark": not args.no_spark},
        generator={"sizes": sizes, "months": MONTHS, "seed": 42},
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
