"""Start-up: pin the models, open the online store, check they agree; refuse otherwise.

Called by the HTTP service in each worker and by `retain serve` before it starts workers,
so a bad deployment fails with a message that says what to do instead of answering wrongly.

The model versions a server answers with are pinned in one file, `RETAIN_HOME/serving/
pinned.json`, written when `retain serve` starts and by `retain reload` (the defined
points where the aliases are resolved again). Every worker loads the versions that file
names, a worker restarted after a promotion included, so workers never answer from two
sets; with no file (the service started by `bentoml serve` alone), the first worker to
start resolves the aliases and writes it, and the others read it.
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
from serving.registry import Models, load_models, resolve_versions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    models: Models
    store: OnlineStore | None  # None: full feature records only


def pins_path(settings: Settings) -> Path:
    return settings.home / "serving" / "pinned.json"


def pin_models(settings: Settings) -> dict[str, str | None]:
    """Resolve the aliases now and pin the versions for every worker (`retain serve` at
    start, `retain reload`); return them."""
    versions = resolve_versions(settings)
    write_json_atomic(versions, pins_path(settings))
    return versions


def pinned_versions(settings: Settings) -> dict[str, str | None]:
    """The pinned versions; when none are pinned yet, resolve the aliases and pin them
    (created exclusively, so workers starting together agree on the first one's)."""
    path = pins_path(settings)
    if not path.is_file():
        versions = resolve_versions(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path.with_suffix(".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.close(fd)
            write_json_atomic(versions, path)
            path.with_suffix(".claim").unlink(missing_ok=True)
            return versions
    for _ in range(100):  # another worker is writing it: it appears whole (renamed)
        if path.is_file():
            return json.loads(path.read_text())
        time.sleep(0.05)
    return resolve_versions(settings)


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
