"""Render the README's benchmark table from bench/results/*.json.

    python -m bench.readme_table          # rewrite the table in README.md
    python -m bench.readme_table --check  # exit 1 when README.md differs from the results

The table sits between `<!-- bench:start -->` and `<!-- bench:end -->`; a test runs the
check, so the README always quotes the committed results.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _get(data: dict, path: str):
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _fmt(value, spec: str) -> str:
    if value is None:
        return "n/a"
    return format(value, spec)


# (result file, command, what is measured, [(label, json path, format)])
ROWS = (
    (
        "features",
        "python -m bench.features",
        "1M-subscriber snapshot on DuckDB",
        (
            ("usage families s", "pipeline.usage_s", ".1f"),
            ("scan floor s", "floor.scan_s", ".1f"),
            ("pandas s", "pandas.usage_s", ".1f"),
            ("full snapshot s", "pipeline.full_s", ".1f"),
            ("peak GiB", "pipeline.peak_rss_gib", ".2f"),
        ),
    ),
    (
        "generator",
        "python -m bench.generator",
        "synthetic operator generation",
        (
            ("subscribers", "largest.subscribers", ",d"),
            ("seconds", "largest.generate_s", ".0f"),
            ("peak MiB", "largest.generate_peak_rss_mb", ",d"),
        ),
    ),
    (
        "batch",
        "python -m bench.batch",
        "batch scoring vs raw predict (1M rows)",
        (
            ("Retain rows/s", "retain_batch_rows_per_s", ",.0f"),
            ("raw predict rows/s", "raw_predict_rows_per_s", ",.0f"),
            ("ratio", "ratio_retain_to_raw", ".2f"),
        ),
    ),
    (
        "serving",
        "python -m bench.serving",
        "HTTP at concurrency 32 vs mlflow models serve",
        (
            ("Retain req/s", "c32.retain.rps", ",.0f"),
            ("Retain p99 ms", "c32.retain.p99_ms", ".1f"),
            ("mlflow req/s", "c32.mlflow.rps", ",.0f"),
            ("ratio", "c32.ratio_rps", ".1f"),
        ),
    ),
    (
        "mlc_churn",
        "python -m bench.mlc_churn",
        "mlc_churn 5-fold CV vs logistic regression",
        (
            ("ROC-AUC", "mean.model.roc_auc", ".3f"),
            ("baseline AUC", "mean.baseline.roc_auc", ".3f"),
            ("Brier", "mean.model.brier", ".4f"),
        ),
    ),
    (
        "cdnow",
        "python -m bench.cdnow",
        "CDNOW holdout spend vs BG/NBD + Gamma-Gamma",
        (
            ("Retain Gini", "retain.normalized_gini", ".3f"),
            ("anchor Gini", "anchor.normalized_gini", ".3f"),
            ("Retain RMSE", "retain.rmse_spend", ".1f"),
            ("anchor RMSE", "anchor.rmse_spend", ".1f"),
            ("total vs actual", "retain.total_vs_actual", "+.1%"),
        ),
    ),
    (
        "churn_oracle",
        "python -m bench.churn_oracle",
        "churn model vs the generator's truth",
        (("AUC / oracle AUC", "auc_ratio", ".3f"), ("ECE", "ece", ".4f")),
    ),
    (
        "policy",
        "python -m bench.policy",
        "offer policy vs oracle, same budget",
        (
            ("share of oracle", "summary.retain_share_of_oracle", ".2f"),
            ("x highest churn risk", "summary.retain_vs_highest_churn_risk", ".2f"),
        ),
    ),
)


def table() -> str:
    lines = ["| benchmark | command | figures |", "|---|---|---|"]
    for name, command, what, cells in ROWS:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        if "readme" in data:  # a bench may publish a flat summary for this table
            data = data["readme"]
        figures = "; ".join(f"{label} {_fmt(_get(data, key), spec)}" for label, key, spec in cells)
        lines.append(f"| {what} | `{command}` | {figures} |")
    return "\n".join(lines)


def render(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> int:
    ap = argparse.ArgumentParser(description="README benchmark table from bench/results")
    ap.add_argument("--check", action="store_true", help="fail when README.md is out of date")
    readme = (ROOT / "README.md").read_text()
    new = render(readme)
    if ap.parse_args().check:
        if new != readme:
            print(
                "README.md's benchmark table differs from bench/results: "
                "run python -m bench.readme_table",
                file=sys.stderr,
            )
            return 1
        return 0
    (ROOT / "README.md").write_text(new)
    print(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
