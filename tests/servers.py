"""Start real servers on loopback for tests, and stop them."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def client_records(frame: pd.DataFrame) -> list[dict]:
    """Full records as a client sends them: every float exact (pandas' `to_json` keeps only
    ten significant digits, which would change the scores), missing values null."""
    from serving.online_store import encode_row

    rows = [json.loads(encode_row(r)) for r in frame.to_dict("records")]
    for r in rows:
        r["as_of"] = r["as_of"][:10]
    return rows


def tiny_online_store(settings, raw: Path, as_of, tmp: Path):
    """The tiny operator's vectors as of `as_of`, its champions loaded under `tmp`, and a
    SQLite online store under `tmp` materialised with the vectors: (vectors, models, uri)."""
    from features.snapshot import build_snapshot
    from serving.online_store import materialise
    from serving.registry import load_models

    vectors = build_snapshot(raw, as_of)
    models = load_models(settings, dest=tmp / "m")
    store = f"sqlite:///{tmp / 'online' / 'features.sqlite'}"
    materialise(iter([vectors]), store, as_of, models.feature_schema_version)
    return vectors, models, store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(
    cmd: list[str], url: str, env: dict[str, str], log: Path, timeout: float = 90.0
) -> Iterator[subprocess.Popen]:
    """Run `cmd` until `url` answers 200; yield the process; terminate it afterwards."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=os.environ | env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{cmd[:3]} exited {proc.returncode}:\n{log.read_text()[-3000:]}"
                    )
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}"
                    )
                time.sleep(0.5)
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()


def bentoml_cmd(port: int, target: str = "serving.service:RetentionService") -> list[str]:
    """Serve `target`: the service from source, or a built Bento's tag."""
    return [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def mlflow_cmd(port: int, store: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        f"sqlite:///{store / 'mlflow.db'}",
        "--artifacts-destination",
        str(store / "artifacts"),
        "--workers",
        "1",
    ]
