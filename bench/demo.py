"""`make demo`, measured: the four `retain` commands it runs, in a fresh RETAIN_HOME.

    flock /tmp/retain-bench.lock .venv/bin/python -m bench.demo

Runs `retain generate`, `train`, `train-uplift` and `score --as-of 2026-01-01` exactly as
the Makefile's `demo` target does (the product's own path, the CLI in a subprocess), times
each, and writes `bench/results/demo.json` with the summary `retain score` printed and the
uplift table `train-uplift` printed. The README's Quick start quotes that summary through
`python -m bench.readme_table`, so what a new user sees after `make demo` is what it shows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.fingerprint import write_result

AS_OF = "2026-01-01"
HOME_SHOWN = "…/.retain"  # the temporary home, as the README shows it


def run(args: list[str], home: Path) -> tuple[str, float]:
    """One `retain` command with RETAIN_HOME=home: its stdout and wall seconds."""
    start = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", "from features.cli import main; main()", *args],
        env=os.environ | {"RETAIN_HOME": str(home)},
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise SystemExit(f"retain {args[0]} failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    return r.stdout, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--keep",
        type=Path,
        help="run in this new RETAIN_HOME and keep it (bench.batch and bench.serving reuse it)",
    )
    opts = ap.parse_args()
    if opts.keep is not None and opts.keep.exists() and any(opts.keep.iterdir()):
        raise SystemExit(f"--keep {opts.keep}: not empty; give a new folder")
    home = opts.keep or Path(tempfile.mkdtemp(prefix="retain-bench-demo-")) / ".retain"
    raw, scores = home / "data" / "raw", home / "data" / "scores"
    try:
        steps = {}
        for name, args in (
            ("generate", ["generate", "--out", str(raw)]),
            ("train", ["train", "--raw", str(raw)]),
            ("train-uplift", ["train-uplift", "--raw", str(raw)]),
            ("score", ["score", "--raw", str(raw), "--as-of", AS_OF, "--out", str(scores)]),
        ):
            steps[name] = run(args, home)
            print(f"retain {name}: {steps[name][1]:.0f} s", flush=True)
    finally:
        if opts.keep is None:
            shutil.rmtree(home.parent, ignore_errors=True)
    summary = steps["score"][0].split("Retain summary", 1)[1]
    summary = ("Retain summary" + summary).strip().replace(str(home.resolve()), HOME_SHOWN)
    summary = summary.replace(str(home), HOME_SHOWN).replace(f"{HOME_SHOWN}/data/scores/", "…/")
    uplift = steps["train-uplift"][0].split("Uplift on the latest campaigns", 1)[-1]
    if "registered" not in uplift:
        uplift += "\nregistered: nothing"
    result = {
        "as_of": AS_OF,
        "summary": summary,
        "uplift_table": uplift.split("\n", 1)[1].rsplit("registered", 1)[0].rstrip(),
        "uplift_registered": "registered" + uplift.rsplit("registered", 1)[1].rstrip(),
        "seconds": {k: round(v[1], 1) for k, v in steps.items()},
        "minutes_total": round(sum(v[1] for v in steps.values()) / 60, 1),
        "cpus": os.cpu_count(),
    }
    print(summary)
    path = write_result(
        "demo",
        result,
        code=("features", "training", "serving", "Makefile", "bench/demo.py"),
        settings={"as_of": AS_OF, "commands": "the Makefile's demo target, default options"},
        generator={"subscribers": 20_000, "defaults": "retain generate"},
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
