"""Probes of issue 15, items 5 and 8, on a server of their own (a copy of the tiny operator's
MLflow home and store, so promotions here touch no other test): a promotion and a store
re-materialised under load, with workers killed and restarted, never give an answer that
mixes two model sets or two store snapshots, and every answer names the ones it came from;
a locked or deleted store gives 503 with Retry-After and a readiness that tells the truth,
never a blocked event loop or a worker crash loop."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import mlflow
import psutil
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from serving.cli import app
from serving.online_store import materialise
from tests.conftest import TINY_SCORE_AS_OF
from tests.servers import bentoml_cmd, client_records, free_port, running, tiny_online_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ops(tiny_trained, tiny_raw, tmp_path_factory):
    settings, _ = tiny_trained
    tmp = tmp_path_factory.mktemp("ops_server")
    home = tmp / "home"
    shutil.copytree(settings.home, home, ignore=shutil.ignore_patterns("serving"))
    own = replace(settings, home=home, tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    vectors, models, store = tiny_online_store(own, tiny_raw, TINY_SCORE_AS_OF, tmp)
    port = free_port()
    env = {"RETAIN_HOME": str(home), "MLFLOW_TRACKING_URI": own.tracking_uri,
           "RETAIN_ONLINE_STORE": store, "RETAIN_API_KEY": ""}  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(bentoml_cmd(port), f"{url}/readyz", env, tmp / "server.log") as proc:
        yield {"url": url, "pid": proc.pid, "settings": own, "env": env, "store": store,
               "vectors": vectors, "models": models, "log": tmp / "server.log"}  # fmt: skip


def workers(pid: int) -> list[psutil.Process]:
    """The server's worker processes (those that import the service)."""
    out = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "worker" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def kill_a_worker(ops) -> None:
    deadline = time.monotonic() + 60  # a worker killed by an earlier probe may still be starting
    while len(before := workers(ops["pid"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(before) == 2, [p.cmdline() for p in before]
    os.kill(before[0].pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while {p.pid for p in workers(ops["pid"])} & {before[0].pid} or len(workers(ops["pid"])) < 2:
        assert time.monotonic() < deadline, "the killed worker was not restarted"
        time.sleep(0.2)


class Load:
    """Clients posting ids without pause; every answer kept with the names it carries."""

    def __init__(self, url: str, ids: list[int], clients: int = 3) -> None:
        self.url, self.ids, self.answers, self.stop = url, ids, [], threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(k,)) for k in range(clients)]

    def run(self, k: int) -> None:
        with httpx.Client(timeout=30) as c:
            i = k
            while not self.stop.is_set():
                ids = [self.ids[(i + j) % len(self.ids)] for j in range(3)]
                try:
                    r = c.post(f"{self.url}/predict", json={"subscriber_ids": ids})
                except httpx.TransportError:  # a worker killed mid-answer: its connection goes
                    continue
                self.answers.append((r.status_code, r.headers.get("x-retain-model-set"),
                                     r.headers.get("x-retain-store"),
                                     r.json() if r.status_code == 200 else None))  # fmt: skip
                i += 3

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def latest(self, n: int = 30) -> list[tuple]:
        return self.answers[-n:]


def wait_for(load: Load, check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        recent = load.latest()
        if len(recent) == 30 and all(check(a) for a in recent):
            return
        assert time.monotonic() < deadline, recent[-3:]
        time.sleep(0.5)


def promote_a_copy(settings, tmp: Path) -> str:
    """Register a copy of the champion churn model as a new version and move the alias."""
    client = MlflowClient(settings.tracking_uri)
    mv = client.get_model_version_by_alias(settings.churn_model, settings.alias)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{settings.churn_model}/{mv.version}", dst_path=str(tmp / "dl"),
        tracking_uri=settings.tracking_uri)  # fmt: skip
    new = client.create_model_version(settings.churn_model, local, tags=mv.tags)
    client.set_registered_model_alias(settings.churn_model, settings.alias, new.version)
    return f"{settings.churn_model}/{new.version}"


def test_probe_5_promotion_and_rematerialisation_under_load_never_mix(ops, tmp_path):
    settings = ops["settings"]
    ids = ops["vectors"]["subscriber_id"].astype(int).tolist()[:60]
    old_churn = ops["models"].churn.ref
    new_as_of = TINY_SCORE_AS_OF + timedelta(days=1)
    with Load(ops["url"], ids) as load:
        wait_for(load, lambda a: a[0] == 200)
        old_set = load.latest()[-1][1]
        new_churn = promote_a_copy(settings, tmp_path)
        kill_a_worker(ops)  # restarted after the promotion: still the pinned set
        wait_for(load, lambda a: a[0] == 200 and a[1] == old_set)
        r = CliRunner().invoke(app, ["reload"], env=ops["env"])
        assert r.exit_code == 0 and "pinned" in r.output, r.output
        wait_for(load, lambda a: a[0] == 200 and new_churn in a[1])
        vectors = ops["vectors"].assign(as_of=new_as_of)
        materialise(iter([vectors]), ops["store"], new_as_of,
                    ops["models"].feature_schema_version)  # fmt: skip
        kill_a_worker(ops)
        wait_for(load, lambda a: a[0] == 200 and a[2].startswith(str(new_as_of)))
    answered = [a for a in load.answers if a[0] == 200]
    assert all(a[0] == 200 for a in load.answers), {a[0] for a in load.answers}
    sets, stores = {a[1] for a in answered}, {a[2].split("#")[0] for a in answered}
    assert sets == {old_set, old_set.replace(old_churn, new_churn)}, sets
    assert stores == {str(TINY_SCORE_AS_OF), str(new_as_of)}, stores
    for _, model_set, store, records in answered:  # no answer mixes two sets or snapshots
        assert {r["churn_model_version"] for r in records} == {model_set.split(",")[0]}
        assert {r["as_of"] for r in records} == {store.split("#")[0]}
    from tests.reliability.conftest import record

    record("consistency", "promotion and re-materialisation under load",
           answers=len(answered), model_sets=len(sets), snapshots=len(stores),
           workers_killed=2)  # fmt: skip


def _ids_answer(ops) -> httpx.Response:
    ids = ops["vectors"]["subscriber_id"].astype(int).tolist()[:2]
    return httpx.post(f"{ops['url']}/predict", json={"subscriber_ids": ids}, timeout=30)


def _ready(ops) -> int:
    return httpx.get(f"{ops['url']}/readyz", timeout=10).status_code


def test_probe_8a_a_locked_store_gets_503_with_retry_after_at_once(ops):
    path = ops["store"].removeprefix("sqlite:///")
    locker = sqlite3.connect(path, timeout=0, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        t = time.perf_counter()
        r = _ids_answer(ops)
        elapsed = time.perf_counter() - t
        assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
        assert set(r.json()) == {"error", "problems", "problems_total"}
        assert elapsed < 1.0  # no 5 s busy wait on the event loop
        assert _ready(ops) == 503
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert _ids_answer(ops).status_code == 200 and _ready(ops) == 200


def test_probe_8b_a_deleted_store_is_not_ready_and_a_restarted_worker_stays_up(ops, tmp_path):
    path = Path(ops["store"].removeprefix("sqlite:///"))
    aside = tmp_path / "aside.sqlite"
    shutil.move(path, aside)
    try:
        r = _ids_answer(ops)
        assert r.status_code == 503 and "retry-after" in r.headers, r.text
        assert _ready(ops) == 503
        record = client_records(ops["vectors"].head(1))
        full = httpx.post(f"{ops['url']}/predict", json={"subscribers": record}, timeout=30)
        assert full.status_code == 200  # full records need no store
        kill_a_worker(ops)
        pids = {p.pid for p in workers(ops["pid"])}
        time.sleep(8)  # a crash loop would replace a worker within this
        assert {p.pid for p in workers(ops["pid"])} == pids
        assert httpx.get(f"{ops['url']}/livez", timeout=10).status_code == 200
        assert _ready(ops) == 503
    finally:
        shutil.move(aside, path)
    assert _ids_answer(ops).status_code == 200 and _ready(ops) == 200
