"""Render the README's figures from bench/results/*.json.

    python -m bench.readme_table          # rewrite the table and the figures in README.md
    python -m bench.readme_table --check  # exit 1 when the README or a result is out of date

The table sits between `<!-- bench:start -->` and `<!-- bench:end -->`; every other figure
is a marked span (`bench/readme_figures.py`). The check (a test runs it) fails when a
committed result has no fingerprint or its fingerprint no longer matches the code it
measured (`bench.fingerprint.stale`), when a result file is rendered nowhere, when the
README differs from what the results render, or when the README quotes a number outside
the table and the spans that is not a declared setting.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from bench.fingerprint import stale
from bench.readme_figures import FIGURES, SETTINGS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _fmt(value, spec: str) -> str:
    if value is None:
        return "n/a"
    return format(value, spec)


def _features(d: dict) -> str:
    m, r = d["median"], d["ratios"]
    return (
        f"{d['subscribers']:,} subscribers, {d['usage_rows']:,} usage rows: usage families "
        f"{m['usage']['wall_s']:.1f} s ({r['usage_over_floor']:.2f}x the DuckDB scan floor of "
        f"{m['floor']['wall_s']:.1f} s; pandas {m['pandas']['wall_s']:.1f} s, "
        f"{r['pandas_over_usage']:.1f}x slower); full snapshot {m['snapshot']['wall_s']:.1f} s, "
        f"peak {m['snapshot']['peak_mib'] / 1024:.1f} GiB"
    )


def _feature_value(d: dict) -> str:
    return "; ".join(
        f"{k}: PR-AUC {v['pr_auc']:.3f}, ROC-AUC {v['roc_auc']:.3f}"
        for k, v in d["churn_test"].items()
    )


def _truth(d: dict) -> str:
    p = d["offer_policy_gain_vnd"]
    return (
        f"oracle churn ROC-AUC {d['churn_roc_auc']['oracle']:.3f} (recency "
        f"{d['churn_roc_auc']['recency_baseline']:.3f}); oracle value Gini "
        f"{d['value_normalized_gini']['oracle']:.3f} (trailing revenue "
        f"{d['value_normalized_gini']['trailing_revenue_baseline']:.3f}); best offer policy "
        f"{p['oracle_unlimited'] / 1e6:+.1f}M VND with {p['oracle_unlimited_contacts']} contacts"
    )


def _generator(d: dict) -> str:
    s = d["sizes"][-1]
    return (
        f"{s['subscribers']:,} subscribers x {s['months']} months: {s['generate_s']:,.0f} s, "
        f"peak {s['generate_peak_rss_mb']:,} MiB; {s['ratio_vs_floor']:.1f}x the Parquet floor"
    )


def _scale(d: dict) -> str:
    def size(row: dict) -> str:
        stages = ", ".join(
            f"{k} {v['wall_s']:,.0f} s / {v['peak_rss_mb']:,} MiB" for k, v in row["stages"].items()
        )
        spark = ", ".join(
            f"{k} {v['wall_s']:,.0f} s / {v['peak_rss_mb']:,} MiB"
            for k, v in row.get("spark_stages", {}).items()
        )
        line = f"{row['subscribers']:,}: {stages}" + (f"; Spark local[2]: {spark}" if spark else "")
        for key in ("error", "spark_error"):  # a stage that failed ended the size there
            if key in row:
                line += f"; FAILED: {row[key].splitlines()[0]}"
        return line

    line = "; ".join(size(r) for r in d["sizes"])
    train = {
        r["subscribers"]: r["stages"]["train"]["peak_rss_mb"]
        for r in d["sizes"]
        if "train" in r["stages"]
    }
    if 200_000 in train and 1_000_000 in train:
        line += f"; train peak memory at 1M {train[1_000_000] / train[200_000]:.2f}x that at 200k"
    return line


def _scale_projection(d: dict) -> str | None:
    if not d.get("fitted_cost"):  # older, or no size whose stages all ran: no row
        return None
    if len(d["sizes"]) < 2:  # a line through one size is no fit: say so, project nothing
        return f"not projected: the last run measured one size ({d['sizes'][0]['subscribers']:,})"
    per = ", ".join(
        f"{k} {c['per_subscriber_s'] * 1e3:.3f} ms {c['fixed_s'] + 0.0:+,.0f} s"
        for k, c in d["fitted_cost"].items()
    )
    line = f"per subscriber and fixed: {per}"
    spark_runs = [r for r in d["sizes"] if "spark_stages" in r and "spark_error" not in r]
    spark_fitted = len(spark_runs) >= 2  # the same rule as above: one size is no line
    if len(spark_runs) == 1:
        line += f"; Spark not projected: measured at one size ({spark_runs[0]['subscribers']:,})"
    for n, p in d["projection"].items():
        line += f"; {int(n) / 1e6:.0f}M: {p['machine_hours']:,.1f} h on this machine"
        if spark_fitted and "spark_executor_hours" in p:
            line += (
                f", on Spark {p['spark_executor_hours']:,.1f} executor-hours "
                f"({d['spark_executor_cores']} cores each; {p['spark_core_hours']:,.1f} core-hours)"
            )
    return line


def _batch(d: dict) -> str:
    return (
        f"{d['rows']:,} rows: Retain {d['retain_batch_rows_per_s']:,.0f} rows/s vs raw predict "
        f"{d['raw_predict_rows_per_s']:,.0f} rows/s ({d['ratio_retain_to_raw']:.2f}x), reasons "
        f"of the {d['campaign_rows_with_reasons']:,} campaign rows included"
    )


def _mlc(d: dict) -> str:
    m, b = d["mean"]["model"], d["mean"]["baseline"]
    return (
        f"ROC-AUC {m['roc_auc']:.3f} vs {b['roc_auc']:.3f}; Brier {m['brier']:.4f} vs "
        f"{b['brier']:.4f}; lift@10% {m['lift_top10']:.2f} vs {b['lift_top10']:.2f}"
    )


def _cdnow(d: dict) -> str:
    def three(row: dict) -> str:
        r, b, p = row["retain"], row["bgnbd_gg"], row["pareto_gg"]
        return "; ".join(
            f"{m} {r[m]:{f}} vs {b[m]:{f}} / {p[m]:{f}}"
            for m, f in (("gini", ".3f"), ("rmse", ".1f"), ("total_vs_actual", "+.1%"))
        )

    m, pp = d["mean_over_origins"], d["product_path"]
    return (
        f"mean over {len(d['origins'])} origins (Retain vs BG/NBD+GG / Pareto/NBD+GG): "
        f"{three(m)}; CLI product path at {pp['as_of']} ({pp['horizon_days']} days, "
        f"{pp['scored_share']:.0%} scored): {three(pp)}"
    )


def _survival(d: dict) -> str:
    r, c, t, o = d["retain"], d["cox"], d["truth"], d["observable_ceiling"]
    return (
        f"integrated Brier {r['integrated_brier']:.4f} vs Cox {c['integrated_brier']:.4f} "
        f"(truth {t['integrated_brier']:.4f}, observable ceiling "
        f"{o['integrated_brier']:.4f}); concordance {r['concordance']:.3f} vs "
        f"{c['concordance']:.3f} (truth {t['concordance']:.3f}, observable ceiling "
        f"{o['concordance']:.3f})"
    )


def _oracle(d: dict) -> str:
    t = d["table"]
    return (
        f"ROC-AUC {t['model']['roc_auc']:.3f} vs oracle {t['oracle']['roc_auc']:.3f} "
        f"({t['model']['auc_vs_oracle']:.3f}); recency {t['baseline']['roc_auc']:.3f}; "
        f"ECE {t['model']['ece']:.4f}"
    )


def _policy(d: dict) -> str | None:
    """The default operator's comparison (None when the run left the default scenario out)."""
    if "budgets" not in d:
        return None
    parts = []
    for b in d["budgets"]:
        p = b["policies"]
        parts.append(
            f"{b['budget_vnd'] / 1e6:,.0f}M VND: Retain {p['retain']['net_gain_vnd'] / 1e6:+.1f}M "
            f"({b['retain_share_of_oracle']:.2f} of oracle), highest churn risk "
            f"{p['highest_churn_risk']['net_gain_vnd'] / 1e6:+.1f}M"
        )
    first = d["budgets"][0]["policies"]
    ceilings = [
        f"{k.removeprefix('ceiling: ')} {v['share_of_oracle']:.2f}"
        for k, v in first.items()
        if k.startswith("ceiling: ")
    ]
    if ceilings:
        parts.append(
            "planning on the truth without the individual response: " + ", ".join(ceilings)
        )
    for day, r in d.get("earlier_decision_dates", {}).items():
        b = r["budgets"][0]
        parts.append(
            f"decision date {day}: Retain {b['policies']['retain']['net_gain_vnd'] / 1e6:+.1f}M "
            f"({b['retain_share_of_oracle']:.2f} of oracle) at {b['budget_vnd'] / 1e6:,.0f}M VND"
        )
    eq = d.get("uplift_expected_qini_latest_campaigns")
    if eq:
        parts.append(
            f"held-out campaigns: expected Qini {eq['retain']:.5f} "
            f"({d['uplift_expected_qini_share_of_perfect']['retain']:.2f} of the perfect ranking) "
            f"vs random {eq['random']:.5f} +- {eq['random_sd']:.5f}; realised Qini "
            f"{d['uplift_qini_latest_campaigns']['all offers']['qini']:+.4f} (the truth's own "
            f"uplift scores {d['uplift_qini_true_uplift_as_score']:+.4f} there)"
        )
    return "; ".join(parts)


def _scenarios(d: dict) -> str | None:
    """The effect scenarios of `bench.policy --scenarios` (None when the result has none)."""
    parts = []
    for r in d.get("scenarios", []):
        obs = r["observable_oracle"]["net_gain_vnd"]
        share = f", {r['retain']['net_gain_vnd'] / obs:.2f} of it" if obs > 0 else ""
        q = r["observable_oracle_quality"]
        kept = f"({r['observable_oracle_kept']}) " if "observable_oracle_kept" in r else ""
        parts.append(
            f"{r['scenario']} at {r['subscribers']:,} ({r['budget_vnd'] / 1e6:,.0f}M VND): Retain "
            f"{r['retain']['net_gain_vnd'] / 1e6:+.1f}M ({r['retain']['contacted']:,} "
            f"contacted), observable oracle {kept}{obs / 1e6:+.1f}M{share} (Spearman "
            f"{q['spearman']:.2f}, R² {q['r2']:.2f}, expected Qini {q['expected_qini_share']:.2f}"
            f" of perfect), oracle {r['oracle']['net_gain_vnd'] / 1e6:+.1f}M, highest churn "
            f"risk {r['highest_churn_risk']['net_gain_vnd'] / 1e6:+.1f}M"
        )
    return "; ".join(parts) or None


def _hillstrom(d: dict) -> str:
    parts = []
    for task, r in d["tasks"].items():
        best = {
            m: max(((v[m], k) for k, v in r["references"].items() if k != "random"))
            for m in ("qini_auc", "uplift_at_30")
        }
        parts.append(
            f"{task.replace('_', ' ')}: Retain Qini {r['retain']['qini_auc']:.4f} (best reference "
            f"{best['qini_auc'][1]} {best['qini_auc'][0]:.4f}), uplift@30% "
            f"{r['retain']['uplift_at_30']:.4f} ({best['uplift_at_30'][1]} "
            f"{best['uplift_at_30'][0]:.4f})"
        )
    p = d["three_arm_policy"]
    parts.append(
        f"three arms, visits per customer: Retain {p['retain']:.4f}, all women's "
        f"{p['all_womens']:.4f}, all men's {p['all_mens']:.4f}, no e-mail {p['no_email']:.4f}"
    )
    return "; ".join(parts)


def _serving(d: dict) -> str:
    runs = {(r["target"], r["concurrency"]): r for r in d["runs"] if r["target"] != "mlflow_serve"}
    parts = []
    for target in ("retain_by_id", "retain_by_record"):
        r = runs.get((target, 32))
        if r:
            parts.append(
                f"{target.replace('_', ' ')} at c32 {r['requests_per_s']:,.0f} req/s, "
                f"p99 {r['p99_ms']:.0f} ms, {r['errors']} errors"
            )
    best = d["reference_best_by_concurrency"]["32"]
    m = next(
        r
        for r in d["runs"]
        if r["target"] == "mlflow_serve" and r["concurrency"] == 32
        and r["config"] == best["configuration"]
    )  # fmt: skip
    parts.append(
        f"mlflow models serve at its best ({best['configuration']}) "
        f"{m['requests_per_s']:,.0f} req/s, p99 {m['p99_ms']:.0f} ms; Retain by id "
        f"{runs[('retain_by_id', 32)]['ratio_to_mlflow_best']:.1f}x its best"
    )
    parts.append(
        f"in-process full answer p50 {d['in_process']['full_answer_p50_ms']:.2f} ms; "
        f"load average {d['load_avg_at_end'][0]:.1f} on {d['cpus']} cores"
    )
    return "; ".join(parts)


def _reliability(d: dict) -> str:
    bad = d["bad_inputs"]
    stopped = sum(b["handled"].startswith("stopped") for b in bad)
    rejected = sum("to rejects" in b["handled"] for b in bad)
    f, ld = d["fuzz"], d["load"]
    survived = sum(x["test"] == "passed" for x in d["faults"])
    return (
        f"{len(bad)} bad raw inputs: {stopped} stopped naming file/column/rows, {rejected} "
        f"sent rows to rejects, rows lost {d['rows_lost']}; fuzzing {f['examples']:,} "
        f"examples, {f['server_errors']} 5xx (must be 0); wrk {ld['name'].split(' ', 1)[1]}: "
        f"{ld['requests']:,} requests, {ld['errors']} errors, p99 {ld['p99_ms']:.0f} ms, RSS "
        f"{ld['rss_before_mib']:.0f} -> {ld['rss_after_mib']:.0f} MiB; faults survived "
        f"{survived}/{len(d['faults'])}"
    )


# (result file, command, what is measured, extractor)
ROWS = (
    ("features", "python -m bench.features", "1M-subscriber snapshot on DuckDB", _features),
    (
        "feature_value",
        "python -m bench.feature_value",
        "churn on the test snapshot: first-issue features vs all families",
        _feature_value,
    ),
    ("oracle", "python -m bench.oracle", "the truth's own figures (the ceiling)", _truth),
    ("generator", "python -m bench.generator", "synthetic operator generation", _generator),
    (
        "scale",
        "python -m bench.scale",
        "each stage's wall time and peak memory (summed over its processes), 12 months",
        _scale,
    ),
    (
        "scale",
        "python -m bench.scale",
        "a 30M and a 60M base: each stage's fitted line, evaluated (operator's run: clean, "
        "snapshot, train, plan; Spark: train and score)",
        _scale_projection,
    ),
    ("batch", "python -m bench.batch", "batch scoring vs the boosters' raw predict", _batch),
    ("serving", "python -m bench.serving", "HTTP endpoint vs mlflow models serve", _serving),
    (
        "mlc_churn",
        "python -m bench.mlc_churn",
        "mlc_churn, 5-fold CV, vs logistic regression",
        _mlc,
    ),
    (
        "cdnow",
        "python -m bench.cdnow",
        "CDNOW spend at rolling origins vs BG/NBD and Pareto/NBD + Gamma-Gamma",
        _cdnow,
    ),
    (
        "survival",
        "python -m bench.survival",
        "time to churn vs a Cox model and the truth",
        _survival,
    ),
    (
        "churn_oracle",
        "python -m bench.churn_oracle",
        "churn model vs the generator's truth",
        _oracle,
    ),
    (
        "policy",
        "python -m bench.policy",
        "offer policy vs oracle and churn-risk targeting",
        _policy,
    ),
    (
        "policy",
        "python -m bench.policy --scenarios none default strong --sizes 20000 200000",
        "offer policy per effect scenario vs the observable oracle",
        _scenarios,
    ),
    (
        "uplift_hillstrom",
        "python -m bench.uplift_hillstrom",
        "uplift on the Hillstrom e-mail campaign vs scikit-uplift and causalml",
        _hillstrom,
    ),
    (
        "reliability",
        "python -m bench.reliability",
        "hostile input, fuzzing, load and faults (each row a test)",
        _reliability,
    ),
)


SPAN = re.compile(r"<!-- fig:([\w.-]+) -->(.*?)<!-- /fig -->", re.S)
# A number a reader would take for a measurement: decimals, signed, grouped by commas, with
# a unit of x, % or M (VND), or three digits or more. Dates are not figures.
NUMBER = re.compile(
    r"(?<![\w.-])[+-]?\d[\d,]*(?:\.\d+)?(?:\s*\+-\s*\d+(?:\.\d+)?)?(?:x|%|M)?(?![\w-])"
)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _result(name: str, results: Path) -> dict:
    path = results / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path.name}: no such result (run python -m bench.{name})")
    return json.loads(path.read_text())


def table(results: Path = RESULTS) -> str:
    lines = ["| benchmark | command | figures (Retain vs reference) |", "|---|---|---|"]
    for name, command, what, extract in ROWS:
        path = results / f"{name}.json"
        figures = extract(json.loads(path.read_text())) if path.exists() else None
        if figures is not None:  # a result not run yet, or without this part: no row
            lines.append(f"| {what} | `{command}` | {figures} |")
    return "\n".join(lines)


def render(readme: str, results: Path = RESULTS, missing_ok: bool = False) -> str:
    """The README with its table and every marked figure rendered from `results` (with
    `missing_ok`, a figure whose result file does not exist yet keeps its text)."""
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    readme = f"{head}{START}\n{table(results)}\n{END}{tail}"

    def fill(m: re.Match) -> str:
        name = m.group(1)
        if name not in FIGURES:
            raise KeyError(f"README figure {name} is not declared in bench/readme_figures.py")
        source = name.split(".", 1)[0]
        if missing_ok and not (results / f"{source}.json").exists():
            return m.group(0)
        text = FIGURES[name](_result(source, results))
        return f"<!-- fig:{name} -->{text}<!-- /fig -->"

    return SPAN.sub(fill, readme)


def unrendered(readme: str) -> list[str]:
    """Numbers the README quotes outside the table, the spans and code blocks (which show
    commands and settings) that `SETTINGS` does not declare."""
    text = readme.split(START, 1)[0] + readme.split(END, 1)[1]
    text = SPAN.sub(" ", text)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    for phrase in SETTINGS:
        text = text.replace(phrase, " ")
    text = DATE.sub(" ", text)
    found = []
    for line in text.splitlines():
        for m in NUMBER.finditer(line):
            if re.fullmatch(r"\d{1,2}", m.group(0)):  # counts of things: three tables
                continue
            found.append(f"{m.group(0)!r} in: {line.strip()[:100]}")
    return found


def problems(readme: str, results: Path = RESULTS) -> list[str]:
    """Everything `--check` fails on (empty when the README and the results are current)."""
    out = []
    for path in sorted(results.glob("*.json")):
        out += stale(path)
    used = {name for name, *_ in ROWS} | {k.split(".", 1)[0] for k in FIGURES}
    out += [
        f"{p.name}: rendered nowhere in the README (add a row to bench/readme_table.py "
        "or a figure to bench/readme_figures.py)"
        for p in sorted(results.glob("*.json"))
        if p.stem not in used
    ]
    out += [f"README quotes a figure not rendered from a result: {u}" for u in unrendered(readme)]
    for name in sorted({m.group(1).split(".", 1)[0] for m in SPAN.finditer(readme)}):
        if not (results / f"{name}.json").exists():
            out.append(f"{name}.json: the README quotes it, but there is no such result")
    try:
        if render(readme, results, missing_ok=True) != readme:
            out.append("README.md differs from bench/results: run python -m bench.readme_table")
    except (KeyError, FileNotFoundError) as e:
        out.append(str(e.args[0] if e.args else e))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description="README figures from bench/results")
    ap.add_argument("--check", action="store_true", help="fail when README.md is out of date")
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder of result files")
    args = ap.parse_args()
    readme = (ROOT / "README.md").read_text()
    if args.check:
        found = problems(readme, args.results)
        for p in found:
            print(p, file=sys.stderr)
        return 1 if found else 0
    (ROOT / "README.md").write_text(render(readme, args.results, missing_ok=True))
    for p in problems((ROOT / "README.md").read_text(), args.results):
        print(p, file=sys.stderr)
    print(table(args.results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
