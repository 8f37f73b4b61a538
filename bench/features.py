"""Feature pipeline at a million subscribers: Retain's snapshot against its references.

One command: `flock /tmp/retain-bench.lock python -m bench.features`. The input (1,000,000
subscribers, 90 days of usage, ~69M usage rows plus recharges, invoices, care contacts,
lifecycle events and campaigns) is written once by `bench.feature_data` to
/tmp/retain-bench/features-1m and reused. Each measurement runs in its own child process,
so its wall time and peak memory (max RSS) are its own; each is repeated and the median
reported. Measured side by side in the same run:

- floor: DuckDB reading the same usage columns once with a trivial aggregate;
- usage: Retain's usage families (the compiled `usage_daily` source, every usage aggregate);
- pandas: a plain vectorised pandas implementation of the same usage aggregates;
- snapshot: the full snapshot (every family, every table, eligibility) into pandas.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from bench.feature_data import AS_OF, ensure_bench_data

log = logging.getLogger(__name__)

DATA = Path(os.environ.get("RETAIN_BENCH_FEATURES", "/tmp/retain-bench/features-1m"))
MEASURES = (
    "voice_out_calls",
    "voice_out_min",
    "voice_in_min",
    "sms_out",
    "data_mb",
    "revenue_vnd",
    "dropped_calls",
)
SPREAD = ("voice_out_min", "sms_out", "data_mb", "revenue_vnd")
# DuckDB's buffer cap for the snapshot: the rest of the 4 GiB budget holds the result and the
# ~0.9 GiB frame built from it (above the cap DuckDB spills its sorts and joins to disk).
MEMORY_LIMIT = "2GB"


def _usage_view(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE VIEW usage_daily AS SELECT * FROM '{DATA}/usage_daily/*.parquet'")


def run_floor() -> int:
    con = duckdb.connect()
    _usage_view(con)
    sums = ", ".join(f"sum({m})" for m in MEASURES)
    row = con.execute(
        f"SELECT {sums}, count(subscriber_id), count(date), count(roaming) FROM usage_daily"
    ).fetchone()
    return int(row[-1])


def run_usage() -> int:
    from features.query import source_sql

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    _usage_view(con)
    con.execute(f"CREATE TEMP TABLE u AS {source_sql('usage_daily', AS_OF)}")
    return con.execute("SELECT count(*) FROM u").fetchone()[0]


def _pandas_usage(df, t):
    import numpy as np
    import pandas as pd

    df = df[(df["date"] >= t - pd.Timedelta(days=90)) & (df["date"] < t)]
    age = (t - df["date"]).dt.days.to_numpy()
    in7, in30 = (age <= 7).astype(float), (age <= 30).astype(float)
    slope = np.select([age <= 7, age <= 14, age <= 21, age <= 28], [1.5, 0.5, -0.5, -1.5], 0.0)
    out = {"days": np.ones(len(df)), "in7": in7, "in30": in30, "slope_w": slope}
    for m in MEASURES:
        v = df[m].to_numpy(dtype=float)
        out |= {f"{m}_90": v, f"{m}_7": v * in7, f"{m}_30": v * in30}
    for m in SPREAD:
        v = df[m].to_numpy(dtype=float)
        out |= {f"{m}_sq90": v * v, f"{m}_sq30": v * v * in30}
    for m in ("voice_out_min", "data_mb", "revenue_vnd"):
        out[f"{m}_slope"] = df[m].to_numpy(dtype=float) * slope
    billable = (df["revenue_vnd"].to_numpy() > 0).astype(float)
    out |= {"billable30": billable * in30, "roaming": df["roaming"].to_numpy(dtype=float)}
    frame = pd.DataFrame(out, index=df.index)
    frame["subscriber_id"] = df["subscriber_id"].to_numpy()
    sums = frame.groupby("subscriber_id", sort=True).sum()
    last = pd.DataFrame(
        {
            "subscriber_id": df["subscriber_id"],
            "data": df["date"].where(df["data_mb"] > 0),
            "bill": df["date"].where(df["revenue_vnd"] > 0),
        }
    )
    return sums.join(last.groupby("subscriber_id").max())


def run_pandas() -> int:
    """The same usage aggregates in vectorised pandas, one file (block of subscribers) at a
    time: all 69M rows at once need about 20 GB of float columns."""
    import pandas as pd
    import pyarrow.parquet as pq

    cols = ["subscriber_id", "date", *MEASURES, "roaming"]
    t = pd.Timestamp(AS_OF)
    parts = [
        _pandas_usage(pq.read_table(f, columns=cols).to_pandas(date_as_object=False), t)
        for f in sorted((DATA / "usage_daily").glob("*.parquet"))
    ]
    return len(pd.concat(parts))


def run_snapshot() -> int:
    from features.snapshot import build_snapshot, connect

    return len(build_snapshot(connect(DATA, memory_limit=MEMORY_LIMIT), AS_OF))


TASKS = {"floor": run_floor, "usage": run_usage, "pandas": run_pandas, "snapshot": run_snapshot}


def measure(task: str) -> dict:
    """Run one task in a fresh child interpreter; its wall time and its own peak memory."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bench.features", "--task", task])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"bench task {task} failed with status {status}")
    rows = int((DATA / f".{task}.rows").read_text())
    return {"wall_s": wall, "peak_mib": usage.ru_maxrss / 1024, "rows": rows}


def main(repeats: int = 3) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    ensure_bench_data(DATA)
    usage_rows = sum(
        pq.ParquetFile(f).metadata.num_rows
        for f in sorted((DATA / "usage_daily").glob("*.parquet"))
    )
    runs: dict[str, list[dict]] = {t: [] for t in TASKS}
    for i in range(repeats):
        for task in TASKS:
            if task == "pandas" and i > 0:
                continue  # one pandas run is enough to know it is the slow one
            runs[task].append(measure(task))
            log.info("%s run %d: %.2f s", task, i + 1, runs[task][-1]["wall_s"])
    med = {
        t: {
            "wall_s": round(statistics.median(r["wall_s"] for r in rs), 2),
            "peak_mib": round(max(r["peak_mib"] for r in rs)),
            "rows": rs[0]["rows"],
            "runs": [round(r["wall_s"], 2) for r in rs],
        }
        for t, rs in runs.items()
    }
    floor, usage, pandas_, snap = (med[t]["wall_s"] for t in TASKS)
    result = {
        "subscribers": 1_000_000,
        "usage_rows": usage_rows,
        "as_of": AS_OF.isoformat(),
        "cores": os.cpu_count(),
        "load_average_at_end": os.getloadavg()[0],
        "median": med,
        "ratios": {
            "usage_over_floor": round(usage / floor, 2),
            "pandas_over_usage": round(pandas_ / usage, 2),
            "snapshot_over_floor": round(snap / floor, 2),
        },
        "acceptance": {
            "usage_within_3x_floor": usage <= 3 * floor,
            "usage_3x_faster_than_pandas": pandas_ >= 3 * usage,
            "snapshot_within_30s": snap <= 30,
            "snapshot_within_4GiB": med["snapshot"]["peak_mib"] <= 4096,
        },
    }
    print(f"\n{usage_rows:,} usage rows, 1,000,000 subscribers, as of {AS_OF}")
    print(f"{'task':<10}{'median s':>10}{'peak MiB':>10}{'rows':>12}  runs")
    for t, m in med.items():
        print(f"{t:<10}{m['wall_s']:>10.2f}{m['peak_mib']:>10}{m['rows']:>12,}  {m['runs']}")
    print(json.dumps(result["ratios"]), json.dumps(result["acceptance"]))
    from bench.fingerprint import write_result

    write_result(
        "features",
        result,
        code=("features", "bench/features.py", "bench/feature_data.py"),
        settings={"as_of": AS_OF.isoformat(), "repeats": repeats},
        generator={"bench.feature_data": "ensure_bench_data", "subscribers": 1_000_000},
    )
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--task":
        (DATA / f".{sys.argv[2]}.rows").write_text(str(TASKS[sys.argv[2]]()))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
