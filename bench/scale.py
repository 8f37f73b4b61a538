"""Retain at scale: each stage of a full run, its wall time and peak memory, for a size sweep;
the fitted cost per subscriber of each stage; what a 30M and a 60M base need.

    flock /tmp/retain-bench.lock python -m bench.scale [--sizes 200000 1000000] [--with-5m]
        [--no-spark | --spark-sizes 200000]

For each size, 12 months of the synthetic operator, in a fresh folder and RETAIN_HOME under
/tmp/retain-bench/scale-<n>, every stage is the real `retain` command run as a child process:

- generate: `retain generate --workers 2 --no-survival-truth` (two blocks at once, the same
  bytes; the truth's survival curves, which only bench.survival reads and which take most
  of the generation time, left out); clean: `retain clean`; snapshot: `retain snapshot` (the
  scoring month's vectors); train: `retain train` (sampled, `[sample] rows` default), then
  the versions trained are pinned as champions (`retain promote --force`, not timed);
- score: `retain score --vectors` with `--budget-vnd 0`: scores, rejects, reconciliation
  and report, the planner contacting nobody (reasons are for the campaign rows, the
  default: none here);
- plan: the same job with the default budget: the campaign is planned over the whole base
  (uplift or, with none registered, the exploration playbook), its control group drawn,
  and its rows' reasons computed.
  The planner runs inside the scoring job (the gains are never written out), so `plan`
  includes scoring; `plan_only_s` = plan - score is its own wall time.

The Spark path in local mode (`local[2]`, the machine's cores) is measured the same way:
`retain train --engine spark` and `retain score --engine spark`. Wall time is the child's;
`peak_rss_mb` the peak of the summed RSS of the child and every process under it (Spark's
JVM, the generator's workers), sampled every 0.2 s, and never below `largest_process_mb`
(`os.wait4`'s `ru_maxrss`: the largest single process among the child and the descendants
it waited for). Each child's output goes to WORK/scale-<n>.log.

The cost of each stage is the least-squares line of wall time on subscribers over the sizes
run: its slope, the cost per subscriber, and its intercept, the fixed cost (e.g. fitting on
the sample). The projection evaluates the lines at 30M and 60M: hours on this machine for
an operator's run (clean, snapshot, train, plan; plan includes score; generate is the
synthetic operator's own), and for the Spark stages (train and score on Spark), core-hours
at the throughput measured in local[2], divided by `SparkConfig.executor_cores` to give
executor-hours (executors x hours).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil

from bench.fingerprint import write_result
from features.spark_engine import SparkConfig

log = logging.getLogger(__name__)

WORK = Path(os.environ.get("RETAIN_BENCH_SCALE", "/tmp/retain-bench"))
MONTHS, START = 12, "2025-01-01"
TRAIN_FROM, TEST_AS_OF, SCORE_AS_OF = "2025-05-01", "2025-10-01", "2025-12-01"
STAGES = ("generate", "clean", "snapshot", "train", "score", "plan")
SPARK_STAGES = ("train_spark", "score_spark")
OPERATOR_STAGES = ("clean", "snapshot", "train", "plan")  # what the projection adds up
PROJECT = (30_000_000, 60_000_000)
SPARK_CORES = 2  # local[2]: this machine's cores
SAMPLE_S = 0.2  # how often the RSS of a stage's processes is summed


def _tree_rss(root: psutil.Process) -> int:
    """Bytes resident in `root` and every process under it (Spark's JVM, pool workers)."""
    total = 0
    for proc in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):  # it ended between the listing and the reading
            total += proc.memory_info().rss
    return total


def run_stage(args: list[str], env: dict[str, str], output: Path) -> dict:
    """Run `retain ARGS` as a child: its wall time; `peak_rss_mb`, the peak of the summed
    RSS of the child and its descendants sampled every `SAMPLE_S` (and at least the
    largest single process's, `ru_maxrss`, which a sample can miss); `largest_process_mb`.
    Its output goes to the file `output` (appended; not held in memory), whose tail a
    failure quotes."""
    retain = [sys.executable, "-c", "from features.cli import main; main()", *args]
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("ab") as sink:
        sink.write(f"$ retain {' '.join(args)}\n".encode())
        sink.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(retain, env=env, stdout=sink, stderr=subprocess.STDOUT)
        root, peak = psutil.Process(proc.pid), 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:  # exited: its rusage covers it and the descendants it waited for
                break
            peak = max(peak, _tree_rss(root))
            time.sleep(SAMPLE_S)
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        with output.open("rb") as f:
            f.seek(max(0, output.stat().st_size - 3000))
            tail = f.read().decode(errors="replace")
        raise RuntimeError(f"retain {args[0]} failed ({code}), {output}:\n{tail}")
    largest = round(usage.ru_maxrss / 1024)
    figures = {
        "wall_s": round(wall, 2),
        "peak_rss_mb": max(round(peak / 2**20), largest),
        "largest_process_mb": largest,
    }
    log.info("retain %s: %s", args[0], figures)
    return figures


def measure(n: int, spark: bool) -> dict:
    """One size: each stage's figures. A stage that fails ends the size: its row keeps the
    stages that ran and `error` (the command and the tail of its output); a Spark stage
    that fails, `spark_error`, and the local figures stand."""
    root = WORK / f"scale-{n}"
    shutil.rmtree(root, ignore_errors=True)
    home = root / "home"
    output = WORK / f"scale-{n}.log"  # the children's output, kept after the folder goes
    output.unlink(missing_ok=True)
    env = os.environ | {
        "RETAIN_HOME": str(home),
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        "RETAIN_SPARK_MASTER": f"local[{SPARK_CORES}]",
    }

    def stage(*args: str) -> dict:
        return run_stage(list(args), env, output)

    raw, clean, snap = root / "raw", root / "clean", root / "vectors.parquet"
    split = ("--train-from", TRAIN_FROM, "--test-as-of", TEST_AS_OF)
    score = ("score", "--as-of", SCORE_AS_OF, "--vectors", str(snap), "--no-materialise")
    generate = ("generate", "--out", str(raw), "--subscribers", str(n), "--months", str(MONTHS))
    log.info("%d subscribers (output -> %s)", n, output)
    stages: dict[str, dict] = {}
    row = {"subscribers": n, "stages": stages}
    try:
        stages["generate"] = stage(*generate, "--workers", str(SPARK_CORES), "--no-survival-truth")
        stages["clean"] = stage("clean", "--raw", str(raw), "--out", str(clean))
        stages["snapshot"] = stage(
            "snapshot", "--as-of", SCORE_AS_OF, "--raw", str(clean), "--out", str(snap)
        )
        stages["train"] = stage("train", "--raw", str(clean), *split)
        for kind in ("churn", "value"):
            stage("promote", kind, "--force", "--reason", "bench.scale: the run's own")
        stages["score"] = stage(*score, "--out", str(root / "score"), "--budget-vnd", "0")
        stages["plan"] = stage(*score, "--out", str(root / "plan"))
    except RuntimeError as e:
        log.error("%d subscribers: %s", n, e)
        shutil.rmtree(root, ignore_errors=True)
        return row | {"error": str(e)}
    row["plan_only_s"] = round(stages["plan"]["wall_s"] - stages["score"]["wall_s"], 2)
    if spark:
        row["spark_stages"] = spark_stages = {}
        try:
            spark_stages["train_spark"] = stage(
                "train", "--raw", str(clean), *split, "--engine", "spark"
            )
            spark_stages["score_spark"] = stage(
                *score, "--out", str(root / "spark"), "--engine", "spark"
            )
        except RuntimeError as e:
            log.error("%d subscribers, Spark: %s", n, e)
            row["spark_error"] = str(e)
    shutil.rmtree(root, ignore_errors=True)
    return row


def fitted_cost(sizes: list[dict], key: str, stages: tuple[str, ...]) -> dict:
    """Per stage, the least-squares line of wall time on subscribers over the sizes:
    `per_subscriber_s` (its slope) and `fixed_s` (its intercept). With one size: no fixed
    part, the whole time per subscriber. A falling line (a flat stage and noise): a flat
    one at the mean time."""
    n = np.array([s["subscribers"] for s in sizes], dtype=float)
    out = {}
    for stage in stages:
        wall = np.array([s[key][stage]["wall_s"] for s in sizes])
        slope, fixed = np.polyfit(n, wall, 1) if len(n) > 1 else (wall[0] / n[0], 0.0)
        if slope < 0:
            slope, fixed = 0.0, wall.mean()
        out[stage] = {"per_subscriber_s": float(slope), "fixed_s": round(float(fixed), 2)}
    return out


def _seconds(cost: dict, n: int) -> float:
    """The fitted lines at `n` subscribers, summed over the stages."""
    return sum(c["fixed_s"] + c["per_subscriber_s"] * n for c in cost.values())


def projection(cost: dict, spark_cost: dict | None, executor_cores: int) -> dict:
    """Hours on this machine for each projected base (the stages given, one after the
    other, each its fitted line at that size); and, for the Spark path, core-hours at the
    throughput measured in local[SPARK_CORES], and executor-hours at `executor_cores` each."""
    out = {}
    for n in PROJECT:
        row = {"machine_hours": round(_seconds(cost, n) / 3600, 2)}
        if spark_cost:
            core_hours = _seconds(spark_cost, n) * SPARK_CORES / 3600
            row["spark_core_hours"] = round(core_hours, 2)
            row["spark_executor_hours"] = round(core_hours / executor_cores, 2)
        out[str(n)] = row
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--with-5m", action="store_true", help="add 5,000,000 subscribers")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark path")
    parser.add_argument(
        "--spark-sizes",
        type=int,
        nargs="+",
        help="run the Spark path at these sizes only (default: every size)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    sizes = sorted(set(args.sizes) | ({5_000_000} if args.with_5m else set()))
    spark_sizes = [] if args.no_spark else sorted(set(args.spark_sizes or sizes) & set(sizes))
    rows: list[dict] = []
    for n in sizes:  # the result is written after each size: a later failure keeps it
        rows.append(measure(n, n in spark_sizes))
        path = write_result(
            "scale",
            summary(rows, bool(spark_sizes)),
            code=("features", "training", "serving", "bench/scale.py"),
            settings={"sizes": sizes, "months": MONTHS, "spark_sizes": spark_sizes},
            generator={"sizes": sizes, "months": MONTHS, "seed": 42},
        )
        log.info("%s", rows[-1])
    log.info("results -> %s", path)
    print(f"results -> {path}")
    failed = [r["subscribers"] for r in rows if "error" in r or "spark_error" in r]
    if failed:
        raise SystemExit(f"bench.scale: a stage failed at {failed} (see error in {path})")


def summary(rows: list[dict], spark: bool) -> dict:
    """The result: every size's row; the fitted lines and the projection from the sizes
    whose stages (and Spark stages) all ran."""
    whole = [r for r in rows if "error" not in r]
    cost = fitted_cost(whole, "stages", STAGES) if whole else None
    with_spark = [r for r in whole if spark and "spark_stages" in r and "spark_error" not in r]
    spark_cost = fitted_cost(with_spark, "spark_stages", SPARK_STAGES) if with_spark else None
    # An operator's run: clean, snapshot, train, plan (which includes score: counted once);
    # generate makes the synthetic operator's data, which an operator brings.
    base = {k: v for k, v in (cost or {}).items() if k in OPERATOR_STAGES}
    executor_cores = SparkConfig().executor_cores
    return {
        "note": (
            "each stage a `retain` child process; wall_s its wall time, peak_rss_mb the peak "
            "summed RSS of it and its descendants (JVM, workers), largest_process_mb os.wait4's "
            "ru_maxrss; generate without the survival truth; plan = the whole scoring job with "
            "the campaign planned (includes score); Spark stages in local[2]"
        ),
        "months": MONTHS,
        "cpu_count": os.cpu_count(),
        "sizes": rows,
        "fitted_cost": cost,
        "spark_fitted_cost": spark_cost,
        "projected_stages": list(OPERATOR_STAGES),
        "spark_executor_cores": executor_cores,
        "projection": projection(base, spark_cost, executor_cores) if cost else None,
    }


if __name__ == "__main__":
    main()
