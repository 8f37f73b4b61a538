"""Start-up: pin the models, open the online store, check they agree; refuse otherwise.

Called once by the HTTP service and by `retain serve` before it starts workers, so a bad
deployment fails with a message that says what to do instead of answering wrongly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from features.settings import Settings
from serving.config import ServingConfig
from serving.online_store import OnlineStore, StoreError, open_store
from serving.registry import Models, load_models

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    models: Models
    store: OnlineStore | None  # None: full feature records only


def start_up(settings: Settings, config: ServingConfig, dest: Path | None = None) -> Runtime:
    """Resolve the aliases once, load the models, open and check the online store.

    Raises `serving.registry.ModelLoadError` or `serving.online_store.StoreError`.
    """
    models = load_models(settings, dest=dest)
    store = None
    if config.online_store:
        store = open_store(config.online_store)
        meta = store.meta()
        if meta.feature_schema_version != models.feature_schema_version:
            raise StoreError(
                f"online store {config.online_store} holds features of schema "
                f"{meta.feature_schema_version}, the models need "
                f"{models.feature_schema_version}; run `retain score` with this code to "
                "materialise the store again"
            )
        log.info("online store %s: %d subscribers as of %s", store.uri, meta.rows, meta.as_of)
    log.info("serving %s and %s", models.churn.ref, models.value.ref)
    return Runtime(models=models, store=store)
