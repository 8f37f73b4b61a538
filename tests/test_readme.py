"""The README's commands cannot rot: every command, option, make target and environment
variable it shows exists, its JSON bodies parse, and its benchmark table quotes the
committed results."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from features.cli import build_app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(?:bash|sh)\n(.*?)```", README, flags=re.S)


def commands() -> list[list[str]]:
    """`retain ...` invocations in the README's shell blocks (continuations joined)."""
    out = []
    for block in BLOCKS:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#")[0].strip()
            if re.match(r"^(\.venv/bin/)?retain\s", line):
                out.append(shlex.split(line)[1:])
    return out


def test_readme_shows_the_two_quick_start_commands():
    assert "make demo" in README and "make test" in README
    make = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"\bmake (\w+)", README)):
        assert re.search(rf"^{target}:", make, flags=re.M), f"make {target} is not in Makefile"
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("argv", commands(), ids=lambda a: " ".join(a[:2]))
def test_every_retain_command_and_option_exists(argv):
    click_root = typer.main.get_command(build_app())
    name, rest = argv[0], argv[1:]
    assert name in click_root.commands, f"retain {name} does not exist"
    cmd = click_root.commands[name]
    known = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
    for token in rest:
        if token.startswith("--"):
            assert token.split("=")[0] in known, f"retain {name} has no option {token}"


def test_readme_has_commands_for_every_stage():
    shown = {argv[0] for argv in commands()}
    assert {"validate", "train", "promote", "train-uplift", "score", "serve", "drift"} <= shown


def test_environment_variables_are_read_by_the_code():
    code = "\n".join(
        p.read_text()
        for pkg in ("features", "training", "serving")
        for p in (ROOT / pkg).glob("*.py")
    )
    for var in set(re.findall(r"`((?:RETAIN|MLFLOW)_[A-Z_]+)`", README)):
        assert f'"{var}"' in code, f"{var} is documented but never read"


def test_curl_bodies_are_valid_requests():
    bodies = re.findall(r"-d '(\{.*?\})'", README)
    assert bodies
    for body in bodies:
        assert set(json.loads(body)) <= {"subscriber_ids", "subscribers"}


def test_benchmark_table_quotes_the_committed_results():
    r = subprocess.run(
        [sys.executable, "-m", "bench.readme_table", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def _results_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "results"
    shutil.copytree(ROOT / "bench" / "results", copy)
    return copy


def _check(results: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench.readme_table", "--check", "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_check_fails_when_a_results_fingerprint_is_edited(tmp_path):
    results = _results_copy(tmp_path)
    fingerprinted = [
        p for p in sorted(results.glob("*.json")) if "fingerprint" in json.loads(p.read_text())
    ]
    assert fingerprinted, "no committed result carries a fingerprint"
    edited, removed = fingerprinted[0], fingerprinted[-1]
    body = json.loads(edited.read_text())
    body["fingerprint"]["code"]["sha256"] = "0" * 64  # as if measured on other code
    edited.write_text(json.dumps(body))
    body = json.loads(removed.read_text())
    del body["fingerprint"]
    removed.write_text(json.dumps(body))
    r = _check(results)
    assert r.returncode == 1
    assert f"{edited.name}: the code it measured" in r.stderr
    assert f"{removed.name}: no fingerprint" in r.stderr


def test_check_fails_on_a_figure_typed_by_hand(tmp_path):
    from bench.readme_table import problems

    results = _results_copy(tmp_path)
    typed = README.replace("## Development", "Retain reaches 0.93 of the oracle.\n\n## Development")
    assert any("'0.93'" in p for p in problems(typed, results))
    spans = re.finditer(r"<!-- fig:([\w.-]+) -->(.*?)<!-- /fig -->", README, flags=re.S)
    span = next((m for m in spans if (results / f"{m.group(1).split('.')[0]}.json").exists()), None)
    assert span, "the README renders no figure from a committed result"
    wrong = README.replace(span.group(0), f"<!-- fig:{span.group(1)} -->42<!-- /fig -->", 1)
    assert "README.md differs from bench/results: run python -m bench.readme_table" in (
        problems(wrong, results)
    )
    (results / "unquoted.json").write_text("{}")
    assert any(p.startswith("unquoted.json: rendered nowhere") for p in problems(README, results))


def test_scenario_and_hillstrom_rows_render_their_results(tmp_path):
    from bench.readme_table import table

    row = {
        "scenario": "strong",
        "subscribers": 20_000,
        "budget_vnd": 20e6,
        "retain": {"net_gain_vnd": 8_400_000, "contacted": 300},
        "observable_oracle": {"net_gain_vnd": 10_500_000, "contacted": 280},
        "oracle": {"net_gain_vnd": 30e6, "contacted": 400},
        "highest_churn_risk": {"net_gain_vnd": -1e6, "contacted": 790},
        "observable_oracle_quality": {"spearman": 0.61, "r2": 0.33, "expected_qini_share": 0.7},
        "observable_oracle_kept": "structured",
    }
    (tmp_path / "policy.json").write_text(json.dumps({"scenarios": [row]}))
    metrics = {"qini_auc": 0.05, "uplift_at_30": 0.07}
    x_learner, random = (
        {"qini_auc": 0.04, "uplift_at_30": 0.08},
        {"qini_auc": 0.9, "uplift_at_30": 0.9},
    )
    task = {"retain": metrics, "references": {"x_learner": x_learner, "random": random}}
    arms = {"retain": 0.181, "all_womens": 0.15, "all_mens": 0.1825, "no_email": 0.106}
    (tmp_path / "uplift_hillstrom.json").write_text(
        json.dumps({"tasks": {"womens_visit": task}, "three_arm_policy": arms})
    )
    rendered = table(tmp_path)
    assert (
        "strong at 20,000 (20M VND): Retain +8.4M (300 contacted), observable oracle "
        "(structured) +10.5M, "
        "0.80 of it (Spearman 0.61, R² 0.33, expected Qini 0.70 of perfect), oracle +30.0M, "
        "highest churn risk -1.0M" in rendered
    )
    assert (
        "womens visit: Retain Qini 0.0500 (best reference x_learner 0.0400), uplift@30% 0.0700 "
        "(x_learner 0.0800); three arms, visits per customer: Retain 0.1810, all women's 0.1500, "
        "all men's 0.1825, no e-mail 0.1060" in rendered
    )
    (tmp_path / "policy.json").write_text(json.dumps({}))  # a result without scenarios: no row
    assert "observable oracle" not in table(tmp_path)
