"""The one model set and store snapshot a worker answers from, replaced whole, never mixed.

A request takes `Live.current()` once and uses that `Served` for everything it does: the
store lookup, the scoring (through the `Served`'s own coalescer, so requests of two sets
are never scored together) and the names in its answer. Between requests, cheaply (one
`stat` each):

- a store replaced on disk (a new snapshot renamed into place, or the file gone) is
  reopened, so every worker reads the new snapshot from its next request on;
- a changed pin file (`retain reload`, see `serving.startup`) loads the pinned model set in
  a thread while the old set keeps answering, then swaps it in.

A store that cannot be opened leaves the worker up but not ready (`/readyz` 503), and
requests that need it get 503 with Retry-After, until it can be.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field

from features.definitions import FEATURE_NAMES
from features.settings import Settings
from serving.config import ServingConfig
from serving.language import DEFAULT_LANGUAGE
from serving.online_store import OnlineStore, StoreError, open_store
from serving.registry import ModelLoadError, Models
from serving.scoring import score_columns, to_records
from serving.server.coalesce import Coalescer
from serving.startup import check_store, pinned_versions, pins_path, start_up

log = logging.getLogger(__name__)
_COLUMNS = ("subscriber_id", "as_of", *FEATURE_NAMES)
LANGUAGE = "_language"  # a record's answer language, beside its features (never a feature)


@dataclass
class Served:
    """A model set and a store snapshot, and the names every answer from them carries."""

    models: Models
    store: OnlineStore | None
    store_problem: str | None = None  # why the configured store is unusable
    coalesce: Coalescer = field(init=False)

    def __post_init__(self) -> None:
        models = self.models
        self.coalesce = Coalescer(
            lambda records: to_records(
                score_columns(
                    to_columns(records),
                    models,
                    language=[r.get(LANGUAGE, DEFAULT_LANGUAGE) for r in records],
                )
            )
        )

    @property
    def versions(self) -> dict[str, str]:
        return {
            "churn_model_version": self.models.churn.ref,
            "value_model_version": self.models.value.ref,
        }

    @property
    def model_set(self) -> str:
        refs = [self.models.churn.ref, self.models.value.ref]
        if self.models.uplift:
            refs.append(self.models.uplift.ref)
        return ",".join(refs)

    @property
    def store_generation(self) -> str:
        return self.store.generation if self.store else "none"

    def with_store(self, store: OnlineStore | None, problem: str | None) -> Served:
        out = Served(self.models, store, problem)
        out.coalesce = self.coalesce  # same models: same scoring
        return out


def to_columns(records: list[dict]) -> dict[str, list]:
    """Vector records to the columns the scoring path takes."""
    return {c: [r[c] for r in records] for c in _COLUMNS}


class Live:
    """What this worker serves now (see the module docstring)."""

    def __init__(self, settings: Settings, config: ServingConfig) -> None:
        self.settings, self.config = settings, config
        self.pins = pins_path(settings)
        versions = pinned_versions(settings)
        self._pin_stamp = _stamp(self.pins)
        runtime = start_up(settings, ServingConfig(None), versions=versions)  # models
        self._served = self._with_store(Served(runtime.models, None))
        self._loading = False

    def current(self) -> Served:
        served = self._served
        stale = served.store.replaced() if served.store else served.store_problem is not None
        if stale:  # a new snapshot in place, or the store unusable until now: (re)open
            served = self._served = self._with_store(served)
        stamp = _stamp(self.pins)
        if stamp != self._pin_stamp and not self._loading:
            self._pin_stamp, self._loading = stamp, True
            threading.Thread(target=self._reload, daemon=True).start()
        return served

    def _with_store(self, served: Served) -> Served:
        uri = self.config.online_store
        if not uri:
            return served.with_store(None, None)
        try:
            store = open_store(uri)
            check_store(store, served.models)
        except StoreError as e:
            if served.store_problem != str(e):
                log.error("online store unusable, answering ids with 503: %s", e)
            return served.with_store(None, str(e))
        if served.store is not None or served.store_problem is not None:
            log.info("online store %s: now serving %s", uri, store.generation)
        return served.with_store(store, None)

    def _reload(self) -> None:
        """Load the pinned set in this thread; swap it in whole when it is ready."""
        try:
            versions = json.loads(self.pins.read_text())["versions"]
            runtime = start_up(self.settings, ServingConfig(None), versions=versions)
            served = self._with_store(Served(runtime.models, None))
        except (ModelLoadError, StoreError, OSError, ValueError) as e:
            log.error("reload refused, still serving %s: %s", self._served.model_set, e)
        else:
            self._served = served
            log.info("reloaded: now serving %s", served.model_set)
        finally:
            self._loading = False


def _stamp(path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)
