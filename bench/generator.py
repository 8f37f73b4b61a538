"""The synthetic operator at scale: wall time and peak memory of `generate_operator` for a
size sweep, side by side with the floor of writing the same rows.

    flock /tmp/retain-bench.lock python -m bench.generator [--sizes 50000 200000 1000000]

Each size is generated for 12 months in its own child process (so its peak RSS is its own)
into /tmp/retain-bench/generator-<n>. The reference, measured in the same run on the same
files in another child process, is the floor: reading every Parquet part the generator
wrote and writing the same rows back with a plain pyarrow writer (same compression), part by
part. The ratio says what the simulation (and the truth) costs beyond moving the bytes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.fingerprint import write_result

log = logging.getLogger(__name__)

WORK = Path(os.environ.get("RETAIN_BENCH_GENERATOR", "/tmp/retain-bench"))

GENERATE = """
import json, resource, time, sys
from pathlib import Path
from features.synthetic.generator import GeneratorConfig, generate_operator
n, out = int(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
m = generate_operator(GeneratorConfig(subscribers=n, months=12, seed=42), out / "raw")
secs = time.perf_counter() - t0
size = sum(f.stat().st_size for f in out.rglob("*.parquet"))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": secs, "peak_rss_mb": rss,
                  "rows": m["rows"], "bytes": size}))
"""

FLOOR = """
import json, resource, time, sys
from pathlib import Path
import pyarrow.parquet as pq
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
rows = 0
for f in sorted(src.rglob("*.parquet")):
    table = pq.read_table(f)
    target = dst / f.relative_to(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="zstd")
    rows += table.num_rows
secs = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": secs, "peak_rss_mb": rss,
                  "rows": rows}))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n: int) -> dict:
    out = WORK / f"generator-{n}"
    shutil.rmtree(out, ignore_errors=True)
    gen = _child(GENERATE, str(n), str(out))
    floor = _child(FLOOR, str(out), str(out / "floor"))
    shutil.rmtree(out, ignore_errors=True)
    rows = sum(gen["rows"].values())
    return {
        "subscribers": n,
        "months": 12,
        "raw_rows": rows,
        "parquet_mb": round(gen["bytes"] / 2**20, 1),
        "generate_s": round(gen["seconds"], 1),
        "generate_peak_rss_mb": round(gen["peak_rss_mb"]),
        "floor_s": round(floor["seconds"], 1),
        "floor_peak_rss_mb": round(floor["peak_rss_mb"]),
        "ratio_vs_floor": round(gen["seconds"] / floor["seconds"], 1),
        "subscribers_per_s": round(n / gen["seconds"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000, 1_000_000])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    rows = []
    for n in args.sizes:
        log.info("generating %d subscribers x 12 months", n)
        rows.append(measure(n))
        log.info("%s", rows[-1])
    header = ("subscribers", "raw_rows", "parquet_mb", "generate_s", "generate_peak_rss_mb",
              "floor_s", "ratio_vs_floor", "subscribers_per_s")  # fmt: skip
    lines = [" ".join(f"{h:>21}" for h in header)]
    lines += [" ".join(f"{r[h]:>21,}" if isinstance(r[h], int) else f"{r[h]:>21}" for h in header)
              for r in rows]  # fmt: skip
    table = "\n".join(lines)
    print(table)
    note = (
        "generate = simulation + truth + Parquet (zstd) in blocks of 25,000 subscribers; "
        "floor = reading and rewriting the same Parquet parts with pyarrow"
    )
    path = write_result(
        "generator",
        {"note": note, "sizes": rows, "cpu_count": os.cpu_count()},
        code=("features/synthetic", "features/contract", "bench/generator.py"),
        settings={"sizes": list(args.sizes), "months": 12},
        generator={"sizes": list(args.sizes), "months": 12},
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
