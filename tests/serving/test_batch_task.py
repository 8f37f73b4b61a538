"""The batch task endpoint on a real BentoML server on loopback: a batch submitted as a file
or as ids gives the rows `retain score` gives on the same input; refusals are clear and
bounded; the online endpoint stays responsive while a batch runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.cli import main
from tests.conftest import TINY_SCORE_AS_OF
from tests.servers import bentoml_cmd, free_port, running, tiny_online_store

LATENCY_ROWS = 200_000  # a batch that runs long enough to measure /predict beside it


@pytest.fixture(scope="module")
def task_server(tiny_trained, tiny_raw, tmp_path_factory):
    settings, _ = tiny_trained
    tmp = tmp_path_factory.mktemp("batch_task")
    vectors, _, store = tiny_online_store(settings, tiny_raw, TINY_SCORE_AS_OF, tmp)
    inputs = tmp / "inputs"
    inputs.mkdir()
    pq.write_table(pa.Table.from_pandas(vectors, preserve_index=False), inputs / "base.parquet")
    port = free_port()
    env = {
        "RETAIN_HOME": str(settings.home),
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "RETAIN_ONLINE_STORE": store,
        "RETAIN_BATCH_INPUT": str(inputs),
        "RETAIN_BATCH_OUTPUT": str(tmp / "tasks"),
        "BENTOML_RESULT_STORE": str(tmp / "task_results.db"),
    }
    url = f"http://127.0.0.1:{port}"
    with running(bentoml_cmd(port), f"{url}/readyz", env, tmp / "server.log"):
        yield url, vectors, inputs, settings


def _submit(url: str, body: dict) -> httpx.Response:
    return httpx.post(f"{url}/batch/submit", json=body, timeout=30)


def _wait(url: str, task_id: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = httpx.get(f"{url}/batch/status", params={"task_id": task_id}, timeout=10)
        assert status.status_code == 200, status.text
        if status.json()["status"] in ("completed", "failed"):
            return status.json()
        assert time.monotonic() < deadline, f"task {task_id} still {status.json()['status']}"
        time.sleep(0.5)


def _result(url: str, task_id: str) -> httpx.Response:
    return httpx.get(f"{url}/batch/get", params={"task_id": task_id}, timeout=30)


def _retain_score(settings, vectors: Path, out: Path, monkeypatch) -> None:
    monkeypatch.setenv("RETAIN_HOME", str(settings.home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    argv = ["score", "--as-of", f"{TINY_SCORE_AS_OF}", "--vectors", str(vectors), "--out",
            str(out), "--no-materialise", "--no-reasons"]  # fmt: skip
    try:
        main(argv)
    except SystemExit as e:
        assert not e.code, e.code


def test_a_batch_file_gives_the_rows_of_retain_score(task_server, tmp_path, monkeypatch):
    url, vectors, inputs, settings = task_server
    submitted = _submit(url, {"vectors_file": "base.parquet"})
    assert submitted.status_code == 200, submitted.text
    task_id = submitted.json()["task_id"]
    assert _wait(url, task_id)["status"] == "completed"
    answer = _result(url, task_id).json()
    assert answer["task_id"] == task_id
    assert answer["rows_in"] == len(vectors) == answer["rows_scored"] + answer["rows_rejected"]
    _retain_score(settings, inputs / "base.parquet", tmp_path / "cli", monkeypatch)
    for name in ("scores.parquet", "rejects.parquet"):
        ours = pq.read_table(Path(answer["scores_path"]).parent / name).to_pylist()
        assert ours == pq.read_table(tmp_path / "cli" / name).to_pylist(), name
    recon = json.loads(Path(answer["reconciliation"]).read_text())
    cli = json.loads((tmp_path / "cli" / "reconciliation.json").read_text())
    paths = ("scores_path", "rejects_path")  # the folders differ, nothing else
    assert {k: v for k, v in recon.items() if k not in paths} == {
        k: v for k, v in cli.items() if k not in paths
    }
    if answer["campaign"] is not None:  # the campaign list, reasons of its rows included
        campaign = pq.read_table(answer["campaign"]).to_pandas()
        assert campaign.equals(pq.read_table(tmp_path / "cli" / "campaign.parquet").to_pandas())
        assert campaign["reasons"].notna().all()


def test_ids_are_read_from_the_online_store_and_unknown_ids_counted(task_server, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    url, vectors, inputs, settings = task_server
    ids = vectors["subscriber_id"].astype(int).tolist()
    unknown = [max(ids) + 1, max(ids) + 2]
    task_id = _submit(url, {"subscriber_ids": ids + unknown + ids[:3]}).json()["task_id"]
    assert _wait(url, task_id)["status"] == "completed"
    answer = _result(url, task_id).json()
    assert answer["unknown_subscribers"] == 2
    assert answer["unknown_subscriber_ids"] == unknown
    assert answer["rows_in"] == len(ids) == answer["rows_scored"] + answer["rows_rejected"]
    _retain_score(settings, inputs / "base.parquet", tmp_path / "cli", monkeypatch)
    ours = pq.read_table(answer["scores_path"]).to_pylist()
    assert ours == pq.read_table(tmp_path / "cli" / "scores.parquet").to_pylist()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "either subscriber_ids (not empty) or vectors_file"),
        ({"subscriber_ids": [1], "vectors_file": "base.parquet"}, "not both"),
        ({"subscriber_ids": [1, "x"]}, "subscriber_ids[1]: not an int64 subscriber id"),
        ({"vectors_file": "base.parquet", "limit": 3}, "problem(s) in the batch's fields"),
        ({"subscriber_ids": 5}, "problem(s) in the batch's fields"),
    ],
)
def test_a_malformed_batch_is_refused_before_a_task_exists(task_server, body, message):
    url = task_server[0]
    refused = _submit(url, body)
    assert refused.status_code == 400
    error = refused.json()
    assert message in error["error"] + "".join(
        f"{p['field']}: {p['problem']}" for p in error["problems"]
    )
    assert "task_id" not in error


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../base.parquet", "vectors_file: a relative path of a .parquet file"),
        ("missing.parquet", "vectors_file: missing.parquet: no such file in the input folder"),
        ("/etc/passwd", "vectors_file: a relative path of a .parquet file"),
    ],
)
def test_a_file_outside_the_input_folder_or_missing_fails_with_its_reason(task_server, name,
                                                                          message):  # fmt: skip
    url = task_server[0]
    task_id = _submit(url, {"vectors_file": name}).json()["task_id"]
    assert _wait(url, task_id)["status"] == "failed"
    failed = _result(url, task_id)
    assert failed.status_code == 400
    assert failed.json()["error"] == message or failed.json()["error"].startswith(message)
    assert len(failed.content) < 1000


def test_the_online_endpoint_answers_while_a_batch_runs(task_server):
    url, vectors, inputs, _ = task_server
    rng = np.random.default_rng(3)
    rows = vectors.sample(n=LATENCY_ROWS, replace=True, random_state=3).reset_index(drop=True)
    rows["subscriber_id"] = np.arange(10**9, 10**9 + LATENCY_ROWS, dtype=np.int64)
    rows = rows.iloc[rng.permutation(LATENCY_ROWS)]
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), inputs / "large.parquet")
    one = {"subscriber_ids": [int(vectors["subscriber_id"].iloc[0])]}
    with httpx.Client(timeout=30) as client:
        idle = _latencies(client, url, one, 20)
        task_id = _submit(url, {"vectors_file": "large.parquet"}).json()["task_id"]
        busy = []
        while httpx.get(f"{url}/batch/status", params={"task_id": task_id}).json()["status"] in (
            "in_progress",
            "pending",
        ):
            busy += _latencies(client, url, one, 10)
    assert _wait(url, task_id)["status"] == "completed"
    assert _result(url, task_id).json()["rows_scored"] == LATENCY_ROWS
    assert len(busy) >= 20  # measured while the batch ran
    p50, p99 = np.percentile(busy, [50, 99])
    print(f"/predict while a {LATENCY_ROWS:,}-row batch runs: p50 {p50 * 1000:.0f} ms, p99 "
          f"{p99 * 1000:.0f} ms, max {max(busy) * 1000:.0f} ms over {len(busy)} requests; "
          f"idle p50 {np.median(idle) * 1000:.0f} ms")  # fmt: skip
    assert p50 < 0.5 and p99 < 2.0  # bounded: the batch does not starve the online answers


def _latencies(client: httpx.Client, url: str, body: dict, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        answer = client.post(f"{url}/predict", json=body)
        out.append(time.perf_counter() - t)
        assert answer.status_code == 200, answer.text
    return out
