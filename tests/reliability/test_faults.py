"""Faults injected for real: a corrupt model file, a pickle planted beside a model, a batch
job killed with SIGKILL halfway, training on data that fails validation. (An unreachable
MLflow store and a missing champion alias are refused in tests/serving/test_registry.py,
test_startup.py.)"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

import mlflow
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from features.contract.clean import RawDataError
from features.settings import Settings
from serving.registry import ModelLoadError, load_models
from tests.conftest import TINY_SCORE_AS_OF, TINY_TRAIN
from tests.reliability.conftest import record
from tests.servers import ROOT

OUTPUTS = ("scores.parquet", "rejects.parquet", "reconciliation.json", "report.html")


def _register_copy(settings, tmp_path, alias: str, change) -> None:
    """Register a copy of the champion churn model's files, changed by `change(folder)`,
    as a new version under `alias` (the value model's alias follows the champion)."""
    client = MlflowClient(settings.tracking_uri)
    mv = client.get_model_version_by_alias(settings.churn_model, settings.alias)
    files = tmp_path / f"{alias}-files"
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{settings.churn_model}/{mv.version}",
        dst_path=str(tmp_path / "download"),
        tracking_uri=settings.tracking_uri,
    )
    shutil.copytree(local, files)
    change(files)
    new = client.create_model_version(settings.churn_model, str(files), tags=mv.tags)
    client.set_registered_model_alias(settings.churn_model, alias, new.version)
    value = client.get_model_version_by_alias(settings.value_model, settings.alias)
    client.set_registered_model_alias(settings.value_model, alias, value.version)


def test_corrupt_model_file_is_refused(tiny_trained, tmp_path):
    settings, _ = tiny_trained

    def corrupt(folder):
        (lgb_file,) = folder.rglob("*.lgb")
        text = lgb_file.read_text()
        lgb_file.write_text(text[: len(text) // 3] + "\nTree=0\nnum_leaves=banana\n")

    _register_copy(settings, tmp_path, "corrupt", corrupt)
    with pytest.raises(ModelLoadError, match=r"retain-churn version \d+: corrupt model file"):
        load_models(replace(settings, alias="corrupt"), dest=tmp_path / "m")


def test_a_pickle_beside_the_model_is_never_loaded(tiny_trained, tmp_path):
    """A pickle that would write a file when unpickled is planted in the model's folder:
    loading serves the native LightGBM text file and never unpickles anything."""
    settings, _ = tiny_trained
    marker = tmp_path / "unpickled"

    class Trap:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    def plant(folder):
        import pickle

        for name in ("model.pkl", "python_model.pkl"):
            (folder / name).write_bytes(pickle.dumps(Trap()))

    _register_copy(settings, tmp_path, "trapped", plant)
    _UNPICKLED.clear()
    _RECORD.append(True)
    try:
        models = load_models(replace(settings, alias="trapped"), dest=tmp_path / "m")
    finally:
        _RECORD.clear()
    assert models.churn.booster.num_trees() > 0
    assert (tmp_path / "m" / settings.churn_model / "model.pkl").is_file()  # it was there
    assert not marker.exists()
    assert _UNPICKLED == []  # no pickle.find_class audit event while loading


_RECORD: list[bool] = []
_UNPICKLED: list[tuple] = []


def _audit(event: str, args: tuple) -> None:
    if _RECORD and event == "pickle.find_class":
        _UNPICKLED.append(args)


sys.addaudithook(_audit)  # hooks cannot be removed; it records only while _RECORD is set


def test_training_on_invalid_data_registers_nothing(raw_with_negative_top_up, tmp_path):
    from training.cli import app
    from training.pipeline import train

    raw = raw_with_negative_top_up
    settings = Settings.from_env({"RETAIN_HOME": str(tmp_path / "home")})
    with pytest.raises(RawDataError, match=r"(?s)fails validation.*recharges\.amount_vnd"):
        train(raw, TINY_TRAIN, settings)
    env = {"RETAIN_HOME": str(settings.home), "MLFLOW_TRACKING_URI": settings.tracking_uri}
    r = CliRunner().invoke(app, ["train", "--raw", str(raw)], env=env)
    assert r.exit_code == 2 and "negative VND" in r.output
    client = MlflowClient(settings.tracking_uri)
    assert client.search_registered_models() == []
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []


def _score_cmd(vectors, out) -> list[str]:
    return [
        sys.executable, "-c", "from features.cli import main; main()", "score",
        "--as-of", TINY_SCORE_AS_OF.isoformat(), "--vectors", str(vectors), "--out", str(out),
        "--chunk-rows", "8", "--no-materialise",
    ]  # fmt: skip


def _visible(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


def _temporaries(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _scores_half_written(folder) -> bool:
    """The scores' temporary holds a row group: more than the 4-byte Parquet magic."""
    for p in folder.glob(".scores.parquet.*.tmp"):
        try:
            if p.stat().st_size > 4:
                return True
        except FileNotFoundError:  # renamed into place: the scores are complete
            pass
    return False


KILL_ROWS = 240  # 30 chunks of 8: the kill after the first leaves 29 to go, a few seconds


def test_batch_killed_midway_leaves_nothing_and_rerun_is_byte_identical(
    tiny_trained, tiny_raw, tmp_path
):
    """`retain score` SIGKILLed while it writes the scores leaves no visible file, only its
    hidden temporaries; the re-run removes them and writes the bytes of an uninterrupted run."""
    from features.snapshot import build_snapshot

    settings, _ = tiny_trained
    tiny_vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF).head(KILL_ROWS)
    env = os.environ | {"RETAIN_HOME": str(settings.home),
                        "MLFLOW_TRACKING_URI": settings.tracking_uri}  # fmt: skip
    if env.pop("PYTHONDONTWRITEBYTECODE", None):  # else each of the 3 compiles every import
        env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")  # (outside the checkout)
    vectors = tmp_path / "vectors.parquet"
    pq.write_table(pa.Table.from_pandas(tiny_vectors, preserve_index=False), vectors)
    out = tmp_path / "scores"  # one path: the reconciliation names its files
    first = subprocess.run(_score_cmd(vectors, out), cwd=ROOT, env=env, capture_output=True)
    assert first.returncode == 0, first.stderr[-2000:]
    uninterrupted = _visible(out)
    assert set(OUTPUTS) <= set(uninterrupted)
    assert _temporaries(out) == []
    shutil.rmtree(out)

    proc = subprocess.Popen(_score_cmd(vectors, out), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while not _scores_half_written(out):
        assert proc.poll() is None, "the job ended before it could be killed mid-write"
        assert time.monotonic() < deadline, "never started writing the scores"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL  # killed, not finished
    assert _visible(out) == {}  # nothing visible: only hidden temporaries remain
    left = _temporaries(out)
    assert any(n.startswith(".scores.parquet.") for n in left)

    again = subprocess.run(_score_cmd(vectors, out), cwd=ROOT, env=env, capture_output=True)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"removed {len(left)} stale temporary file(s)".encode() in again.stderr
    assert _visible(out) == uninterrupted  # byte for byte
    assert _temporaries(out) == []  # the killed run's swept, none of its own left
    record("fault", "batch job killed midway", handled="nothing visible; re-run byte-identical")
