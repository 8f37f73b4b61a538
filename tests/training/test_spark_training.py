"""`retain train --engine spark`: the snapshots built and written by Spark (local mode), the
same seeded sample drawn from them, and models registered as with the embedded engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from features.cli import build_app
from features.sampling import SampleConfig
from features.spark_engine import SparkConfig, local_session
from tests.conftest import TINY_TRAIN
from training.pipeline import training_sample

CFG = replace(TINY_TRAIN, sample=SampleConfig(rows=700))  # sampled: ~1,050 per snapshot


@pytest.fixture(scope="module")
def spark():
    return local_session(threads=2, shuffle_partitions=4)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["as_of", "subscriber_id"], ignore_index=True)


def test_spark_training_sample_equals_the_duckdb_one(tiny_raw, tmp_path, spark):
    local = training_sample(tiny_raw, CFG, tmp_path / "local", "local")
    on_spark = training_sample(tiny_raw, CFG, tmp_path / "spark", "spark")
    assert (tmp_path / "spark" / f"cutoff-{CFG.test_as_of}").is_dir()  # written by Spark
    a, b = _sorted(local.frame), _sorted(on_spark.frame)
    assert list(b.columns) == list(a.columns)
    assert len(a) < sum(c["rows"] for c in local.manifest["cutoffs"])  # really sampled
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-9)
    pd.testing.assert_frame_equal(
        _sorted(local.follow_up), _sorted(on_spark.follow_up), check_dtype=False
    )
    assert on_spark.manifest == local.manifest


def test_unknown_engine_is_refused(tiny_raw, tmp_path):
    with pytest.raises(ValueError, match="engine: need one of local, spark, got 'dask'"):
        training_sample(tiny_raw, CFG, tmp_path, "dask")


def test_spark_settings_come_from_the_environment():
    conf = '{"spark.executor.instances": 20, "spark.executor.memory": "16g"}'
    config = SparkConfig.from_env(
        {"RETAIN_SPARK_MASTER": "spark://head:7077", "RETAIN_SPARK_CONF": conf}
    )
    settings = config.settings()
    assert config.master == "spark://head:7077"
    assert settings["spark.executor.instances"] == "20"
    assert settings["spark.executor.memory"] == "16g"  # the environment wins over the default
    assert settings["spark.sql.session.timeZone"] == "UTC"
    assert SparkConfig.from_env({}).master == "local[*]"
    with pytest.raises(ValueError, match="RETAIN_SPARK_CONF: not JSON"):
        SparkConfig.from_env({"RETAIN_SPARK_CONF": "executor.memory=4g"})
    with pytest.raises(ValueError, match="RETAIN_SPARK_CONF: need a JSON object"):
        SparkConfig.from_env({"RETAIN_SPARK_CONF": "[1, 2]"})


def test_retain_train_engine_spark_registers_models(tiny_raw, tmp_path, spark):
    home = tmp_path / "home"
    env = {
        "RETAIN_HOME": str(home),
        "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        "RETAIN_SPARK_MASTER": "local[2]",
    }
    args = ["train", "--raw", str(tiny_raw), "--engine", "spark", "--sample-rows", "700"]
    args += ["--train-from", str(CFG.train_from), "--test-as-of", str(CFG.test_as_of)]
    result = CliRunner().invoke(build_app(), args, env=env)
    assert result.exit_code == 0, result.output
    assert "registered retain-churn version 1" in result.output
    assert "registered retain-value version 1" in result.output
    client = MlflowClient(env["MLFLOW_TRACKING_URI"])
    assert str(client.get_model_version_by_alias("retain-churn", "challenger").version) == "1"
    assert not list((home / "work").iterdir())  # the Spark snapshots were removed

    refused = CliRunner().invoke(build_app(), [*args[:3], "--engine", "dask"], env=env)
    assert refused.exit_code == 2
    assert "need one of local, spark" in refused.output

    # `retain score --engine spark` as a user runs it: its own process, no PYSPARK_PYTHON,
    # and a `python3` first on PATH that is not Retain's interpreter. Spark's Python
    # workers must still run the interpreter that has Retain's dependencies.
    for kind in ("churn", "value"):
        promoted = CliRunner().invoke(
            build_app(), ["promote", kind, "--force", "--reason", "spark score test"], env=env
        )
        assert promoted.exit_code == 0, promoted.output
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text(
        "#!/bin/sh\necho 'not the interpreter Retain runs on' >&2\nexit 3\n"
    )
    (fake / "python3").chmod(0o755)
    child = {k: v for k, v in os.environ.items() if k != "PYSPARK_PYTHON"} | env
    child["PATH"] = f"{fake}{os.pathsep}{child.get('PATH', '')}"
    out = tmp_path / "scored"
    score = [sys.executable, "-c", "from features.cli import main; main()", "score"]
    score += ["--raw", str(tiny_raw), "--as-of", str(CFG.test_as_of), "--out", str(out)]
    score += ["--engine", "spark", "--no-materialise"]
    done = subprocess.run(
        score, env=child, capture_output=True, text=True, timeout=600, cwd=Path(__file__).parents[2]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    recon = json.loads((out / "reconciliation.json").read_text())
    scored = pd.read_parquet(out / "scores")  # Spark's folder of part files
    assert recon["rows_scored"] == len(scored) > 0
    assert scored["subscriber_id"].is_unique
