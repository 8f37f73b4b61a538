"""Online benchmark: Retain's endpoint vs `mlflow models serve` on the bare churn model.

    flock /tmp/retain-bench.lock .venv/bin/python -m bench.serving [--duration 12]

One command, side by side on loopback, single-subscriber requests from Debian's `wrk` at
concurrency 1, 8 and 32 (one connection per wrk thread); `bench/wrk/timed_post.lua` times
every request itself, because wrk's own percentiles are corrected for coordinated omission
and would not be the latencies a client saw. Targets, each warmed up first:

- Retain by id: `{"subscriber_ids": [id]}`, features from the SQLite online store, the full
  answer (calibrated churn, value, tiers, states, value at risk, reasons in words);
- Retain by record: `{"subscribers": [record]}`, the 112 features in the request, checked
  by the request schema, the same full answer;
- reference: `mlflow models serve --env-manager local` serving the churn model alone, one
  `dataframe_split` row per request, in each configuration of `REFERENCE_CONFIGS`: as its
  documentation sets it up (one worker, the default) with `OMP_NUM_THREADS=1` as its users
  set it for one-row LightGBM predicts, the same untouched (OpenMP's default threads), and
  with two workers. Each is measured; Retain is compared with the reference's best
  configuration at each concurrency, and the result names every configuration. The registered
  churn model keeps pandas-categorical columns, which its pyfunc cannot take from JSON
  (strings reach LightGBM as object columns and it refuses them), so the reference is an
  equivalent bare model: the same trees with each categorical passed as its category code,
  logged with `mlflow.lightgbm.log_model`; it gives the same raw scores.

And the limit: the same full answer in-process (`score_columns` on one subscriber, then
JSON), no HTTP. Models come from training a small synthetic operator into a temporary MLflow
sqlite store (or `--home`/`--raw` for an existing one); the `champion` aliases are set
explicitly, since this measures serving, not model quality. Prints a table and writes
`bench/results/serving.json` with the machine's load average: the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import lightgbm as lgb
import numpy as np

from bench.fingerprint import write_result
from features.settings import Settings
from features.snapshot import build_snapshot
from serving.config import ServingConfig
from serving.online_store import materialise
from serving.scoring import encode, score_columns, to_records
from serving.service import answer_json, to_columns
from serving.startup import Runtime, start_up

log = logging.getLogger("bench.serving")
LUA = Path(__file__).parent / "wrk" / "timed_post.lua"
CONCURRENCY = (1, 8, 32)
# (name, uvicorn workers, extra environment) of `mlflow models serve`; the first is the one
# its documentation shows (`--workers` defaults to 1) with the threads its users set.
REFERENCE_CONFIGS = (
    ("1 worker, OMP_NUM_THREADS=1", 1, {"OMP_NUM_THREADS": "1"}),
    ("1 worker, OpenMP default threads", 1, {}),
    ("2 workers, OMP_NUM_THREADS=1", 2, {"OMP_NUM_THREADS": "1"}),
)
RETAIN_CONFIG = "bentoml serve serving.service:RetentionService (the service's own settings)"
AS_OF = date(2025, 9, 1)


def prepare_operator(
    tmp: Path, home: Path | None, raw: Path | None, as_of: date
) -> tuple[Settings, Path, Runtime, str]:
    """Champions (trained here unless `home` is given), the online store, the runtime."""
    if home is None:
        from mlflow import MlflowClient

        from features.synthetic.generator import GeneratorConfig, generate_operator
        from training.config import TrainConfig
        from training.pipeline import train

        raw = tmp / "raw"
        generate_operator(GeneratorConfig(subscribers=1500, months=10, seed=11), raw)
        settings = Settings.from_env({"RETAIN_HOME": str(tmp / "home")})
        result = train(
            raw, TrainConfig(train_from=date(2025, 4, 1), test_as_of=date(2025, 8, 1)), settings
        )
        client = MlflowClient(settings.tracking_uri)
        for name, version in (
            (settings.churn_model, result.churn_version),
            (settings.value_model, result.value_version),
        ):
            client.set_registered_model_alias(name, settings.alias, version)
    else:
        settings = Settings.from_env({"RETAIN_HOME": str(home)})
        raw = raw or home / "data" / "raw"
    runtime = start_up(settings, ServingConfig(online_store=None), dest=tmp / "models")
    uri = f"sqlite:///{tmp / 'online' / 'features.sqlite'}"
    vectors = build_snapshot(raw, as_of)
    materialise(iter([vectors]), uri, as_of, runtime.models.feature_schema_version)
    runtime = start_up(settings, ServingConfig(online_store=uri), dest=tmp / "models2")
    return settings, raw, runtime, uri


def bare_reference(settings: Settings, models, vectors, tmp: Path) -> str:
    """The churn trees without their pandas categories (codes in, the same raw scores out),
    logged with `mlflow.lightgbm.log_model`; its model URI."""
    import mlflow
    import mlflow.lightgbm
    import pandas as pd
    from mlflow.models import infer_signature

    text = models.churn.booster.model_to_string()
    bare = lgb.Booster(model_str=re.sub(r"\npandas_categorical:.*", "\n", text))
    names = bare.feature_name()
    X = encode({c: vectors[c].to_numpy() for c in vectors.columns}, models.churn.booster)
    if not np.array_equal(bare.predict(X), models.churn.booster.predict(X)):
        raise AssertionError("the bare reference model does not give the churn model's scores")
    mlflow.set_tracking_uri(settings.tracking_uri)
    example = pd.DataFrame(X[:5], columns=names)
    with mlflow.start_run(run_name="bench-serving-reference"):
        info = mlflow.lightgbm.log_model(
            bare,
            name="bare_churn",
            signature=infer_signature(example, bare.predict(X[:5])),
            pip_requirements=[f"lightgbm=={lgb.__version__}"],
        )
    return info.model_uri


@contextlib.contextmanager
def running(kind: str, env: dict[str, str], tmp: Path) -> Iterator[str]:
    """`bentoml serve` of the Retain service, or `mlflow models serve` of MODEL_URI."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if kind == "retain":
        args = ["bentoml", "serve", "serving.service:RetentionService"]
        args += ["--host", "127.0.0.1", "--port", str(port)]
        ready = "/readyz"
    else:
        args = ["mlflow", "models", "serve", "-m", env["MODEL_URI"], "--env-manager", "local"]
        args += ["-h", "127.0.0.1", "-p", str(port), "-w", env["WORKERS"]]
        ready = "/ping"
    url = f"http://127.0.0.1:{port}"
    log_path = tmp / f"{kind}.log"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=Path(__file__).resolve().parents[1],
            # `mlflow models serve` execs `uvicorn` from PATH: this interpreter's.
            env=os.environ | env | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{kind} exited:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + ready, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} not ready:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def wrk(url: str, bodies: Path, concurrency: int, seconds: float, out: Path) -> dict:
    """One wrk run; per-request latencies from the Lua script, errors from both."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    load_before = os.getloadavg()[0]
    r = subprocess.run(
        [
            "wrk",
            f"-t{concurrency}",
            f"-c{concurrency}",
            f"-d{seconds:g}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA),
            url,
        ],
        env=os.environ | {"BODIES": str(bodies), "OUT_DIR": str(out)},
        capture_output=True,
        text=True,
        check=True,
    )
    status, lat = [], []
    for f in out.glob("lat-*.txt"):
        for line in f.read_text().split("\n"):
            if line:
                s, us = line.split()
                status.append(int(s))
                lat.append(float(us))
    lat_ms = np.asarray(lat) / 1000.0
    ok = int(sum(200 <= s < 300 for s in status))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", r.stdout
    )
    socket_errors = sum(int(x) for x in socket.groups()) if socket else 0
    return {
        "concurrency": concurrency,
        "seconds": seconds,
        "requests": len(status),
        "requests_per_s": ok / seconds,
        "p50_ms": float(np.percentile(lat_ms, 50)) if len(lat_ms) else float("nan"),
        "p99_ms": float(np.percentile(lat_ms, 99)) if len(lat_ms) else float("nan"),
        "max_ms": float(lat_ms.max()) if len(lat_ms) else float("nan"),
        "errors": len(status) - ok + socket_errors,
        "load_avg_1m_before": load_before,
        "load_avg_1m_after": os.getloadavg()[0],
    }


def sweep(name: str, url: str, bodies: Path, seconds: float, tmp: Path) -> list[dict]:
    wrk(url, bodies, 8, 3, tmp / "warmup")  # first requests pay for imports and caches
    rows = []
    for c in CONCURRENCY:
        row = {"target": name} | wrk(url, bodies, c, seconds, tmp / f"{name}-c{c}")
        log.info("%s c%d: %.0f req/s p99 %.1f ms", name, c, row["requests_per_s"], row["p99_ms"])
        rows.append(row)
    return rows


def in_process(vectors, runtime, n: int = 3000) -> dict:
    """The full answer for one subscriber with no HTTP: store lookup excluded and included.
    LightGBM on one OpenMP thread, as in the service (on a busy machine, idle OpenMP threads
    spinning for cores other processes hold made one-row predicts ~30x slower)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return _in_process(vectors, runtime, n)


def _in_process(vectors, runtime, n: int) -> dict:
    ids = vectors["subscriber_id"].tolist()
    found = runtime.store.get(ids[:1])
    record = found[ids[0]]
    models = runtime.models

    def timed(fn) -> np.ndarray:
        for _ in range(200):
            fn()
        t = np.empty(n)
        for k in range(n):
            s = time.perf_counter()
            fn()
            t[k] = time.perf_counter() - s
        return t * 1000

    answer = timed(lambda: answer_json(to_records(score_columns(to_columns([record]), models))))
    no_reasons = timed(lambda: score_columns(to_columns([record]), models, reasons=False))
    with_store = timed(
        lambda: answer_json(
            to_records(score_columns(to_columns([runtime.store.get([ids[0]])[ids[0]]]), models))
        )
    )
    X = encode(to_columns([record]), models.churn.booster)
    bare = timed(lambda: models.churn.booster.predict(X))
    return {
        "full_answer_p50_ms": float(np.median(answer)),
        "full_answer_p99_ms": float(np.percentile(answer, 99)),
        "full_answer_with_store_p50_ms": float(np.median(with_store)),
        "without_reasons_p50_ms": float(np.median(no_reasons)),
        "bare_churn_predict_p50_ms": float(np.median(bare)),
        "full_answer_per_core_per_s": float(1000 / np.median(answer)),
    }


def bodies_files(vectors, runtime, tmp: Path) -> dict[str, Path]:
    """One request body per line: by id, by full record, and the reference's split frame."""
    ids = vectors["subscriber_id"].tolist()
    stored = runtime.store.get(ids)
    names = runtime.models.churn.booster.feature_name()
    X = encode(to_columns([stored[i] for i in ids]), runtime.models.churn.booster)
    paths = {k: tmp / f"{k}.jsonl" for k in ("by_id", "by_record", "mlflow")}
    with open(paths["by_id"], "w") as f:
        f.writelines(json.dumps({"subscriber_ids": [i]}) + "\n" for i in ids)
    with open(paths["by_record"], "w") as f:
        for i in ids:
            rec = dict(stored[i], as_of=stored[i]["as_of"].isoformat())
            f.write(json.dumps({"subscribers": [rec]}) + "\n")
    with open(paths["mlflow"], "w") as f:
        for row in X:
            data = [None if np.isnan(v) else float(v) for v in row]
            f.write(json.dumps({"dataframe_split": {"columns": names, "data": [data]}}) + "\n")
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=12.0, help="seconds per wrk run")
    ap.add_argument("--home", type=Path, help="an existing RETAIN_HOME with champions")
    ap.add_argument("--raw", type=Path, help="its raw tables (for the snapshot)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="retain-bench-serving-"))
    try:
        settings, raw, runtime, store_uri = prepare_operator(tmp, args.home, args.raw, AS_OF)
        vectors = build_snapshot(raw, AS_OF)
        bodies = bodies_files(vectors, runtime, tmp)
        limit = in_process(vectors, runtime)
        env = {
            "RETAIN_HOME": str(settings.home),
            "MLFLOW_TRACKING_URI": settings.tracking_uri,
            "RETAIN_ONLINE_STORE": store_uri,
        }
        rows, seconds = [], args.duration
        with running("retain", env, tmp) as url:
            rows += sweep("retain_by_id", f"{url}/predict", bodies["by_id"], seconds, tmp)
            rows += sweep("retain_by_record", f"{url}/predict", bodies["by_record"], seconds, tmp)
        reference = bare_reference(settings, runtime.models, vectors, tmp)
        for name, workers, extra in REFERENCE_CONFIGS:
            ref_env = env | extra | {"MODEL_URI": reference, "WORKERS": str(workers)}
            with running("mlflow", ref_env, tmp) as url:
                runs = sweep("mlflow_serve", f"{url}/invocations", bodies["mlflow"], seconds, tmp)
            rows += [r | {"config": name} for r in runs]
        synthetic = {"subscribers": 1500, "months": 10, "seed": 11} if args.home is None else None
        report(rows, limit, runtime, seconds, synthetic)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def best_reference(rows: list[dict]) -> dict[int, dict]:
    """The reference's best configuration at each concurrency (most requests per second)."""
    best: dict[int, dict] = {}
    for r in rows:
        if r["target"] == "mlflow_serve":
            c = r["concurrency"]
            if c not in best or r["requests_per_s"] > best[c]["requests_per_s"]:
                best[c] = r
    return best


def report(rows: list[dict], limit: dict, runtime, seconds: float, generator: dict | None) -> None:
    best = best_reference(rows)
    for r in rows:
        r.setdefault("config", RETAIN_CONFIG)
        r["ratio_to_mlflow_best"] = r["requests_per_s"] / best[r["concurrency"]]["requests_per_s"]
    head = ("conc", "req/s", "p50 ms", "p99 ms", "errors", "x best")
    print(f"{'target':<18}" + "".join(f"{h:>9}" for h in head) + "  configuration")
    for r in rows:
        print(
            f"{r['target']:<18}{r['concurrency']:>9}{r['requests_per_s']:>9.0f}"
            f"{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['errors']:>9}"
            f"{r['ratio_to_mlflow_best']:>9.2f}  {r['config']}"
        )
    print(
        f"in-process full answer: p50 {limit['full_answer_p50_ms']:.3f} ms, p99 "
        f"{limit['full_answer_p99_ms']:.3f} ms ({limit['full_answer_per_core_per_s']:.0f}/s per "
        f"core); bare churn predict p50 {limit['bare_churn_predict_p50_ms']:.3f} ms"
    )
    load = os.getloadavg()
    print(f"load average (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    out = {
        "retain_configuration": RETAIN_CONFIG,
        "reference": "mlflow models serve --env-manager local (bare churn model)",
        "reference_configurations": [
            {"name": n, "workers": w, "environment": e} for n, w, e in REFERENCE_CONFIGS
        ],
        "reference_best_by_concurrency": {
            str(c): {"configuration": r["config"], "requests_per_s": r["requests_per_s"]}
            for c, r in sorted(best.items())
        },
        "seconds_per_run": seconds,
        "cpus": os.cpu_count(),
        "load_avg_at_end": list(load),
        "churn_trees": runtime.models.churn.booster.num_trees(),
        "value_trees": runtime.models.value.booster.num_trees(),
        "in_process": limit,
        "runs": rows,
    }
    path = write_result(
        "serving",
        out,
        code=("serving", "features", "bench/serving.py", "bench/wrk/timed_post.lua"),
        settings={
            "seconds_per_run": seconds,
            "concurrency": list(CONCURRENCY),
            "as_of": AS_OF.isoformat(),
        },
        generator=generator,
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
