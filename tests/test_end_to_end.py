"""The whole loop with real servers on loopback: BentoML answers equal the batch scores,
bad requests get a 4xx naming the field, and a real MLflow server works as the store."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pandas as pd
import pytest

from features.settings import Settings
from features.snapshot import build_snapshot
from serving.batch import score_frame
from serving.registry import load_models
from tests.conftest import TINY_SCORE_AS_OF, TINY_TRAIN
from tests.servers import bentoml_cmd, free_port, mlflow_cmd, running

pytestmark = pytest.mark.slow


def records(frame: pd.DataFrame) -> list[dict]:
    rows = json.loads(frame.to_json(orient="records", date_format="iso"))
    for r in rows:
        r["as_of"] = r["as_of"][:10]
    return rows


@pytest.fixture(scope="module")
def server(tiny_trained, tmp_path_factory):
    settings, _ = tiny_trained
    port = free_port()
    env = {"RETAIN_HOME": str(settings.home), "MLFLOW_TRACKING_URI": settings.tracking_uri}
    log = tmp_path_factory.mktemp("bento") / "server.log"
    with running(bentoml_cmd(port), f"http://127.0.0.1:{port}/readyz", env, log):
        yield f"http://127.0.0.1:{port}"


def test_http_answers_equal_batch_scores(server, tiny_trained, tiny_raw, tmp_path):
    settings, _ = tiny_trained
    vectors = build_snapshot(tiny_raw, TINY_SCORE_AS_OF)
    result = score_frame(vectors, load_models(settings, dest=tmp_path / "m"), tmp_path / "out")
    batch = pd.read_parquet(result.scores_path)
    batch["as_of"] = batch["as_of"].astype(str)
    answers = []
    for lo in range(0, len(vectors), 250):
        r = httpx.post(
            f"{server}/predict",
            json={"subscribers": records(vectors.iloc[lo : lo + 250])},
            timeout=60,
        )
        assert r.status_code == 200, r.text
        answers += r.json()
    online = pd.DataFrame(answers)[list(batch.columns)]
    assert len(online) == len(batch) == result.rows_scored > 500
    pd.testing.assert_frame_equal(online, batch, check_exact=True, check_dtype=False)


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda r: r.pop("tenure_days"), "tenure_days"),
        (lambda r: r.update(data_mb_sum_7d="lots"), "data_mb_sum_7d"),
        (lambda r: r.update(contract_type="gold"), "contract_type"),
        (lambda r: r.update(as_of="yesterday"), "as_of"),
        (lambda r: r.update(subscriber_id=None), "subscriber_id"),
        (lambda r: r.update(loyalty_points=3), "loyalty_points"),
    ],
)
def test_bad_field_gets_4xx_naming_it(server, tiny_raw, change, field):
    rec = records(build_snapshot(tiny_raw, TINY_SCORE_AS_OF).head(1))[0]
    change(rec)
    r = httpx.post(f"{server}/predict", json={"subscribers": [rec]}, timeout=30)
    assert 400 <= r.status_code < 500
    assert field in r.text


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"subscribers": 3}', b"[]", b'{"subscribers": [1]}']
)
def test_malformed_bodies_are_4xx_not_5xx(server, body):
    r = httpx.post(
        f"{server}/predict", content=body, timeout=30, headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500, r.text


def test_empty_request_gets_empty_answer(server):
    r = httpx.post(f"{server}/predict", json={"subscribers": []}, timeout=30)
    assert r.status_code == 200 and r.json() == []


def test_real_mlflow_server_as_tracking_store(tiny_raw, tmp_path):
    from training.pipeline import train

    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    with running(mlflow_cmd(port, tmp_path), f"{uri}/health", {}, tmp_path / "mlflow.log"):
        settings = replace(
            Settings.from_env({"RETAIN_HOME": str(tmp_path / "home")}), tracking_uri=uri
        )
        result = train(tiny_raw, TINY_TRAIN, settings)
        models = load_models(settings, dest=tmp_path / "dl")
    assert models.churn.version == result.churn_version
    assert list((tmp_path / "artifacts").rglob("*.lgb"))  # artefacts went through the server
