"""One real server for the HTTP and load tests: `bentoml serve` on loopback over the tiny
operator's champions and online store, with an API key, its log kept for inspection."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import TINY_SCORE_AS_OF
from tests.servers import bentoml_cmd, client_records, free_port, running, tiny_online_store

KEY = "reliability-secret"
BODY_LIMIT = 256 * 1024  # small, so a 413 needs no huge upload
HEADER_TIMEOUT_S = 2  # short, so a slow client is cut off within the test


@dataclass(frozen=True)
class Server:
    url: str
    log: Path
    pid: int
    ids: list[int]  # subscribers in the online store
    record: dict  # one full feature record, as a client sends it


@pytest.fixture(scope="package")
def server(tiny_trained, tiny_raw, tmp_path_factory):
    settings, _ = tiny_trained
    tmp = tmp_path_factory.mktemp("reliability_server")
    vectors, _, store = tiny_online_store(settings, tiny_raw, TINY_SCORE_AS_OF, tmp)
    record = client_records(vectors.head(1))[0]
    port = free_port()
    env = {
        "RETAIN_HOME": str(settings.home),
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
        "RETAIN_ONLINE_STORE": store,
        "RETAIN_API_KEY": KEY,
        "RETAIN_MAX_BODY_BYTES": str(BODY_LIMIT),
        "RETAIN_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
    }
    log = tmp / "server.log"
    url = f"http://127.0.0.1:{port}"
    with running(bentoml_cmd(port), f"{url}/readyz", env, log) as proc:
        yield Server(url, log, proc.pid, vectors["subscriber_id"].astype(int).tolist(), record)


# `python -m bench.reliability` runs this package at bench scale and reads what it measured.
SCALE = os.environ.get("RETAIN_RELIABILITY_SCALE", "test")  # "test" or "bench"
RESULTS = os.environ.get("RETAIN_RELIABILITY_RESULTS")  # JSON-lines file, when set


def record(kind: str, name: str, **values) -> None:
    """Append one measured row for `bench.reliability` (a no-op unless it runs the tests),
    with the id of the test that measured it: the bench reads that test's outcome."""
    if RESULTS:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
        row = {"kind": kind, "name": name, "test": test} | values
        with open(RESULTS, "a") as f:
            f.write(json.dumps(row, default=str) + "\n")


@pytest.fixture
def raw_with_negative_top_up(tiny_raw, tmp_path) -> Path:
    """A copy of the tiny operator's raw tables with one top-up of -20,000 VND (row 7 of the
    first recharges part): data that fails validation."""
    raw = tmp_path / "raw"
    shutil.copytree(tiny_raw, raw)
    part = next((raw / "recharges").glob("*.parquet"))
    t = pq.read_table(part)
    amounts = t.column("amount_vnd").to_pylist()
    amounts[7] = -20_000
    i = t.schema.get_field_index("amount_vnd")
    pq.write_table(t.set_column(i, "amount_vnd", pa.array(amounts, pa.int64())), part)
    return raw
