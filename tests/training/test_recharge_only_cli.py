"""A recharge-only operator through the command line, as a new user meets it: `retain
validate`, `retain train`, `retain score`, `retain promote` on two tables of the fewest
columns (the tiny operator's subscriber ids and activation dates, and its top-ups). Each of
issue #16's friction points is an assertion here."""

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from mlflow import MlflowClient

from features.cli import main
from features.settings import Settings
from tests.conftest import TINY_SCORE_AS_OF, TINY_TRAIN


def _retain(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = e.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def recharge_only(tiny_raw, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("recharge_only") / "raw"
    subs = pq.read_table(tiny_raw / "subscribers", columns=["subscriber_id", "activation_date"])
    top_ups = pq.read_table(tiny_raw / "recharges", columns=["subscriber_id", "ts", "amount_vnd"])
    for name, table in (("subscribers", subs), ("recharges", top_ups)):
        (root / name).mkdir(parents=True)
        pq.write_table(table, root / name / "part-00000.parquet")
    (root / "manifest.json").write_text((tiny_raw / "manifest.json").read_text())
    return root


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("home_recharge_only")
        mp.setenv("RETAIN_HOME", str(path))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        yield Settings.from_env()


@pytest.fixture(scope="module")
def trained(recharge_only, home, tmp_path_factory):
    """Trained once through `retain train`, eligibility widened to 60 days in the TOML and a
    calibration limit no model meets, so the churn model is refused as champion."""
    config = tmp_path_factory.mktemp("cfg") / "retain.toml"
    config.write_text(
        f'train_from = "{TINY_TRAIN.train_from}"\ntest_as_of = "{TINY_TRAIN.test_as_of}"\n'
        "[snapshot]\neligibility_days = 60\n[promotion]\nmax_ece = 0.0\n"
    )
    main_args = ["train", "--raw", str(recharge_only), "--config", str(config)]
    try:
        main(main_args)
    except SystemExit as e:
        assert not e.code, e
    return home, config


def test_validate_accepts_a_recharge_log_alone(recharge_only, capsys):
    code, out, err = _retain(capsys, "validate", "--raw", str(recharge_only))
    assert code == 0, out + err
    assert "FATAL" not in out


def test_value_baseline_reads_top_ups_without_a_usage_table(trained):
    settings, _ = trained
    client = MlflowClient(settings.tracking_uri)
    mv = client.get_model_version_by_alias(settings.value_model, "challenger")
    metrics = client.get_run(mv.tags["run_id"]).data.metrics
    gini = metrics["test_value_baseline_normalized_gini"]
    assert 0.3 < gini < 1.0  # defined from the top-ups, not an all-null column
    assert metrics["test_value_model_normalized_gini"] > 0.3


def test_a_refused_model_is_named_with_why_and_how_to_force_it(trained, tmp_path, capsys):
    settings, _ = trained
    code, out, err = _retain(
        capsys, "score", "--as-of", f"{TINY_SCORE_AS_OF}", "--raw", "unused", "--no-validate",
        "--out", str(tmp_path / "scores"), "--no-materialise",
    )  # fmt: skip
    assert code == 2
    assert "retain-churn@champion not found" in err and "ece" in err
    assert "retain promote churn --version 1 --force --reason" in err
    assert "Traceback" not in err


def test_score_reuses_the_training_snapshot_and_keeps_nulls(trained, recharge_only, tmp_path,
                                                           capsys):  # fmt: skip
    settings, _ = trained
    for kind in ("churn", "value"):
        code, out, err = _retain(capsys, "promote", kind, "--version", "1", "--force", "--reason",
                                 "recharge-only test")  # fmt: skip
        assert code == 0, err
    out_dir = tmp_path / "scores"
    code, out, err = _retain(
        capsys, "score", "--as-of", f"{TINY_SCORE_AS_OF}", "--raw", str(recharge_only),
        "--out", str(out_dir), "--no-materialise", "--no-reasons",
    )  # fmt: skip
    assert code == 0, err
    assert "active in the last 60 days" in out  # the TOML's eligibility, stored with the model
    assert "nan" not in out.lower()
    vectors = pd.read_parquet(out_dir / "vectors.parquet")
    # features of absent tables stay null from snapshot to model (never 0)
    for column in ("data_mb_sum_30d", "revenue_vnd_sum_90d", "invoice_count_90d", "region"):
        assert vectors[column].isna().all(), column
    assert vectors["recharge_count_90d"].notna().all()
    scores = pd.read_parquet(out_dir / "scores.parquet")
    assert len(scores) == len(vectors)
    # time to churn and lifetime value in every row; the Pareto on lifetime margin printed
    for m in (3, 6, 12):
        assert scores[f"survival_{m}m"].between(0, 1).all()
    assert (scores["survival_3m"] >= scores["survival_12m"]).all()
    assert scores["expected_lifetime_months"].between(0, 24).all()
    assert scores["lifetime_value_vnd"].notna().all()
    assert "of the 24-month lifetime margin" in out
    code, out, err = _retain(
        capsys, "score", "--as-of", f"{TINY_SCORE_AS_OF}", "--raw", str(recharge_only),
        "--out", str(tmp_path / "wider"), "--no-materialise", "--no-reasons",
        "--eligibility-days", "90",
    )  # fmt: skip
    assert code == 0, err
    assert "active in the last 90 days" in out
    assert len(pd.read_parquet(tmp_path / "wider" / "scores.parquet")) > len(scores)


def test_a_label_window_the_data_miss_is_one_line(recharge_only, home, capsys):
    code, out, err = _retain(capsys, "train", "--raw", str(recharge_only), "--train-from",
                             "2025-06-01", "--test-as-of", "2025-10-01")  # fmt: skip
    assert code == 2
    assert "labels as of" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
