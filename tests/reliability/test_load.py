"""Bounded load on the real endpoint with wrk (loopback, one connection per wrk thread):
zero errors, and the server's memory flat from after warm-up to the end. Seconds here; the
bench runs it for 60 s (`python -m bench.reliability`)."""

from __future__ import annotations

import json
import shutil

import psutil
import pytest

from bench.serving import wrk
from tests.reliability.conftest import KEY, SCALE, record

pytestmark = pytest.mark.slow
SECONDS = 60.0 if SCALE == "bench" else 4.0
CONCURRENCY = 32
FLAT_MIB = 64  # RSS growth allowed over the run, all server processes together


def rss_mib(pid: int) -> float:
    """Resident memory of the server and all its workers, MiB."""
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def test_bounded_load_has_no_errors_and_flat_memory(server, tmp_path, monkeypatch):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed (.ci/run installs it; apt-get install wrk)")
    monkeypatch.setenv("API_KEY", KEY)
    bodies = tmp_path / "bodies.jsonl"
    lines = [json.dumps({"subscriber_ids": [i]}) for i in server.ids]
    lines += [json.dumps({"subscribers": [server.record]})] * (len(lines) // 10)
    bodies.write_text("\n".join(lines) + "\n")
    url = f"{server.url}/predict"
    wrk(url, bodies, 8, 2, tmp_path / "warmup")  # imports, caches, first allocations
    before = rss_mib(server.pid)
    run = wrk(url, bodies, CONCURRENCY, SECONDS, tmp_path / "run")
    after = rss_mib(server.pid)
    record("load", f"wrk {SECONDS:g} s at concurrency {CONCURRENCY}", requests=run["requests"],
           errors=run["errors"], p99_ms=round(run["p99_ms"], 1),
           requests_per_s=round(run["requests_per_s"], 1), rss_before_mib=round(before, 1),
           rss_after_mib=round(after, 1), load_avg_1m=run["load_avg_1m_after"])  # fmt: skip
    assert run["requests"] > 0 and run["errors"] == 0, run
    assert after - before < FLAT_MIB, (before, after)
