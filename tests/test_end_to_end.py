"""The whole loop with real servers on loopback: BentoML answers (by id from the online
store, or from full records) equal the batch job's rows for the whole tiny operator, bad
requests get a 4xx naming the field, the API key is checked, and a real MLflow server works
as the store."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import replace

import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.settings import Settings
from serving.batch.chunks import BatchConfig, score_frame
from serving.registry import load_models
from tests.conftest import TINY_SCORE_AS_OF
from tests.servers import (
    ROOT,
    bentoml_cmd,
    client_records,
    free_port,
    mlflow_cmd,
    running,
    tiny_online_store,
)

pytestmark = pytest.mark.slow
KEY = "e2e-secret"


@pytest.fixture(scope="module")
def batch(tiny_trained, tiny_raw, tmp_path_factory):
    """The batch job's rows for the tiny operator, and the online store it materialised."""
    settings, _ = tiny_trained
    tmp = tmp_path_factory.mktemp("batch")
    vectors, models, store = tiny_online_store(settings, tiny_raw, TINY_SCORE_AS_OF, tmp)
    # `--reasons`: every row its own, as every HTTP answer carries them
    result = score_frame(vectors, models, tmp / "out", BatchConfig(reasons=True))
    rows = [
        # JSON has no NaN: the answer writes a missing number as null
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
        for r in pq.read_table(result.scores_path).to_pylist()
    ]
    for r in rows:
        r["as_of"] = r["as_of"].isoformat()
    return vectors, rows, store


@pytest.fixture(scope="module")
def bento(tmp_path_factory):
    """`bentoml build` from bentofile.yaml into a private BentoML home: (home, tag)."""
    home = tmp_path_factory.mktemp("bentoml")
    r = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", "--output", "tag"],
        cwd=ROOT,
        env=os.environ | {"BENTOML_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    tag = r.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    return home, tag


@pytest.fixture(scope="module")
def server(tiny_trained, batch, bento, tmp_path_factory):
    """The built Bento, served: every HTTP test below runs against the packaged service."""
    settings, _ = tiny_trained
    home, tag = bento
    port = free_port()
    env = {
        "BENTOML_HOME": str(home),
        "RETAIN_HOME": str(settings.home),
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "RETAIN_ONLINE_STORE": batch[2],
        "RETAIN_API_KEY": KEY,
    }
    log = tmp_path_factory.mktemp("bento") / "server.log"
    with running(bentoml_cmd(port, tag), f"http://127.0.0.1:{port}/readyz", env, log):
        yield f"http://127.0.0.1:{port}"


def post(server: str, body, **kw) -> httpx.Response:
    headers = {"x-api-key": KEY} | kw.pop("headers", {})
    return httpx.post(f"{server}/predict", json=body, headers=headers, timeout=60, **kw)


def test_bento_holds_the_service_and_not_the_tests(bento):
    home, tag = bento
    src = home / "bentos" / "retain" / tag.split(":")[1] / "src"
    assert (src / "serving" / "service.py").is_file() and (src / "features").is_dir()
    assert not (src / "tests").exists()


def test_answers_by_id_and_by_record_equal_batch_rows(server, batch):
    vectors, rows, _ = batch
    by_id, by_record = [], []
    for lo in range(0, len(vectors), 250):
        part = vectors.iloc[lo : lo + 250]
        r = post(server, {"subscriber_ids": part["subscriber_id"].tolist()})
        assert r.status_code == 200, r.text
        by_id += r.json()
        r = post(server, {"subscribers": client_records(part)})
        assert r.status_code == 200, r.text
        by_record += r.json()
    expected = [{"status": "ok"} | row for row in rows]
    assert len(expected) == len(vectors) > 500
    assert by_id == expected
    assert by_record == expected


def test_unknown_id_gets_a_status_not_an_error(server, batch):
    known = batch[1][0]
    r = post(server, {"subscriber_ids": [-5, known["subscriber_id"]]})
    assert r.status_code == 200
    unknown, ok = r.json()
    assert unknown["status"] == "unknown_subscriber" and unknown["churn_probability"] is None
    assert unknown["churn_model_version"] == known["churn_model_version"]
    assert ok == {"status": "ok"} | known


def test_api_key_is_checked_and_probes_stay_open(server):
    assert post(server, {"subscriber_ids": [1]}, headers={"x-api-key": "wrong"}).status_code == 401
    assert httpx.post(f"{server}/predict", json={"subscriber_ids": [1]}).status_code == 401
    assert httpx.get(f"{server}/readyz").status_code == 200
    metrics = httpx.get(f"{server}/metrics")
    assert metrics.status_code == 200 and "bentoml_service_request" in metrics.text
    spec = httpx.get(f"{server}/docs.json").json()
    assert "/predict" in spec["paths"]


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
def test_bad_field_gets_4xx_naming_it(server, batch, change, field):
    rec = client_records(batch[0].head(1))[0]
    change(rec)
    r = post(server, {"subscribers": [rec]})
    assert 400 <= r.status_code < 500
    assert field in r.text


def test_duplicate_record_and_too_many_ids_are_4xx(server, batch):
    rec = client_records(batch[0].head(1))[0]
    r = post(server, {"subscribers": [rec, rec]})
    assert 400 <= r.status_code < 500
    assert {"field": "subscribers[1].subscriber_id", "problem": "duplicate"} in r.json()["problems"]
    r = post(server, {"subscriber_ids": list(range(1001))})
    assert 400 <= r.status_code < 500 and "at most 1000 per request" in r.json()["error"]


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"subscribers": 3}', b"[]", b'{"subscribers": [1]}']
)
def test_malformed_bodies_are_4xx_not_5xx(server, body):
    r = httpx.post(
        f"{server}/predict",
        content=body,
        timeout=30,
        headers={"content-type": "application/json", "x-api-key": KEY},
    )
    assert 400 <= r.status_code < 500, r.text


def test_empty_request_gets_empty_answer(server):
    r = post(server, {"subscribers": []})
    assert r.status_code == 200 and r.json() == []


def test_real_mlflow_server_as_tracking_store(tiny_trained, batch, tmp_path):
    """The champions, logged and registered through a real MLflow server the way training
    logs them, are served back from it unchanged (retraining through it would only repeat
    the training the session already did)."""
    import mlflow

    from serving.scoring import encode, model_inputs
    from training import tracking

    settings, _ = tiny_trained
    champions = load_models(settings, dest=tmp_path / "from_sqlite")
    vectors = batch[0]
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    with running(mlflow_cmd(port, tmp_path), f"{uri}/health", {}, tmp_path / "mlflow.log"):
        served = replace(
            Settings.from_env({"RETAIN_HOME": str(tmp_path / "home")}), tracking_uri=uri
        )
        with mlflow.start_run(experiment_id=tracking.experiment_id(served)):
            for kind, m in (("churn", champions.churn), ("value", champions.value)):
                version = tracking.log_booster(
                    m.booster,
                    f"{kind}_model",
                    vectors,
                    pd.Series(
                        m.booster.predict(encode(model_inputs(vectors.head(5), m), m.booster)),
                        name=kind,
                    ),
                    m.name,
                    {},
                    calibration=m.calibration if kind == "churn" else None,
                    btyd=m.btyd,
                )
                tracking.set_alias(m.name, served.alias, version)
        models = load_models(served, dest=tmp_path / "from_server")
    assert (models.churn.ref, models.value.ref) == ("retain-churn/1", "retain-value/1")
    assert models.churn.calibration == champions.churn.calibration
    for served_m, m in ((models.churn, champions.churn), (models.value, champions.value)):
        X = encode(model_inputs(vectors, m), m.booster)
        assert (served_m.booster.predict(X) == m.booster.predict(X)).all()
    assert list((tmp_path / "artifacts").rglob("*.lgb"))  # artefacts went through the server


def test_answers_in_the_language_asked_for(server, batch, bento):
    """`Accept-Language: vi` or `?lang=vi` gives Vietnamese reasons and segment names; the
    codes and numbers are the batch's; an unknown `lang` is a 400 naming it."""
    home, tag = bento
    src = home / "bentos" / "retain" / tag.split(":")[1] / "src"
    assert (src / "serving" / "locale" / "vi" / "LC_MESSAGES" / "retain.po").is_file()
    rows = batch[1][:50]
    ids = {"subscriber_ids": [r["subscriber_id"] for r in rows]}
    by_header = post(server, ids, headers={"accept-language": "vi-VN,vi;q=0.9,en;q=0.5"})
    by_query = post(server, ids, params={"lang": "vi"})
    assert by_header.status_code == by_query.status_code == 200, by_header.text
    assert by_header.json() == by_query.json()
    text = {"language", "reasons", "risk_band_name", "value_tier_name", "relationship_state_name"}
    text |= {"best_offer_description"}
    for vi, en in zip(by_header.json(), rows, strict=True):
        assert {k: v for k, v in vi.items() if k not in text} == {"status": "ok"} | {
            k: v for k, v in en.items() if k not in text
        }
        assert vi["language"] == "vi" and vi["value_tier_name"].startswith("khách hàng")
    reasons = [s for a in by_header.json() for s in a["reasons"]]
    assert reasons and any("ngày qua" in s for s in reasons)
    bad = post(server, ids, params={"lang": "fr"})
    assert bad.status_code == 400 and "lang" in bad.text
