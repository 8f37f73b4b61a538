"""Start-up: pin the models, open the online store, check they agree; refuse otherwise.

Called by the HTTP service in each worker and by `retain serve` before it starts workers,
so a bad deployment fails with a message that says what to do instead of answering wrongly.

The model versions a server answers with are pinned in one file, `RETAIN_HOME/serving/
pinned.json`, written when the server starts (by `retain serve`, or by its first worker)
and by `retain reload`: the defined points where the aliases are resolved again. Every
worker loads the versions that file names, a worker restarted after a promotion included,
so the workers of a server never answer from two sets.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from features.contract.sources import write_json_atomic
from features.settings import Settings
from serving.config import ServingConfig
from serving.online_store import OnlineStore, StoreError, open_store
from serving.registry import ModelLoadError, Models, load_models, resolve_versions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    models: Models
    store: OnlineStore | None  # None: full feature records only


def pins_path(settings: Settings) -> Path:
    return settings.home / "serving" / "pinned.json"


def _read_pins(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def pin_models(
    settings: Settings,
    server: str | None = None,
    new_server: bool = False,
    versions: dict[str, str | None] | None = None,
) -> dict[str, str | None]:
    """Resolve the aliases now and pin the versions for every worker; return them. `retain
    serve` pins for the server it is about to start (`new_server`: its first worker adopts
    the pin), `retain reload` for the server running (the pin keeps its server)."""
    path = pins_path(settings)
    versions = versions or resolve_versions(settings)
    old = _read_pins(path) if server is None and not new_server else None
    keep = old.get("server") if old else None
    write_json_atomic({"versions": versions, "server": server or keep}, path)
    return versions


def server_identity() -> str:
    """The server this worker belongs to: its parent process (BentoML's arbiter, which
    restarts a killed worker) and that process's start time, so a pin outlives a worker's
    restart but not the server's."""
    ppid = os.getppid()
    try:
        started = Path(f"/proc/{ppid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        started = "?"
    return f"{ppid}:{started}"


def pinned_versions(settings: Settings) -> dict[str, str | None]:
    """The versions this worker loads: the pin of its server (or one `retain serve` left for
    it); with none, the aliases' versions now, pinned by the first worker to claim them, so
    workers starting together agree."""
    try:
        return _pinned(settings)
    except OSError as e:  # a read-only RETAIN_HOME (a container): pin nothing, say so
        log.warning(
            "cannot pin the model versions in %s (%s): each worker resolves the aliases "
            "itself; make RETAIN_HOME writable so workers agree",
            pins_path(settings),
            e,
        )
        return resolve_versions(settings)


def _pinned(settings: Settings) -> dict[str, str | None]:
    path, me = pins_path(settings), server_identity()
    pin = _read_pins(path)
    if pin and pin.get("server") in (None, me):
        if pin.get("server") is None:
            write_json_atomic(pin | {"server": me}, path)
        return pin["versions"]
    claim = path.with_name(f".claim-{me.replace(':', '-')}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # another worker of this server is pinning: wait for its pin
        for _ in range(600):
            pin = _read_pins(path)
            if pin and pin.get("server") == me:
                return pin["versions"]
            time.sleep(0.05)
        raise ModelLoadError(f"{path}: no pin written by the worker that claimed it") from None
    try:
        pin_models(settings, server=me)
    finally:
        claim.unlink(missing_ok=True)
    return _read_pins(path)["versions"]


def check_store(store: OnlineStore, models: Models) -> None:
    meta = store.meta()
    if meta.feature_schema_version != models.feature_schema_version:
        raise StoreError(
            f"online store {store.uri} holds features of schema "
            f"{meta.feature_schema_version}, the models need "
            f"{models.feature_schema_version}; run `retain score` with this code to "
            "materialise the store again"
        )
    log.info("online store %s: %d subscribers as of %s", store.uri, meta.rows, meta.as_of)


def start_up(
    settings: Settings,
    config: ServingConfig,
    dest: Path | None = None,
    versions: dict[str, str | None] | None = None,
) -> Runtime:
    """Load the models (`versions`, else the aliases' now), open and check the online store.

    Raises `serving.registry.ModelLoadError` or `serving.online_store.StoreError`.
    """
    models = load_models(settings, dest=dest, versions=versions)
    store = None
    if config.online_store:
        store = open_store(config.online_store)
        check_store(store, models)
    log.info("serving %s and %s", models.churn.ref, models.value.ref)
    return Runtime(models=models, store=store)
