"""The BentoML service: POST /predict for CRM screens and call-centre tools.

Handlers only translate: ids are looked up in the online store, records are checked by
the request schema, and both go through the one `score_columns`. Start it with
`retain serve` (or `bentoml serve serving.service:RetentionService`); the `champion`
models are resolved once at start-up, checked against the online store, and every answer
names their versions. `/livez`, `/readyz` and `/metrics` are BentoML's own; `/docs` has
the OpenAPI documents.
"""

from __future__ import annotations

import gc

import bentoml
from bentoml.exceptions import InvalidArgument

from features.definitions import FEATURE_NAMES
from features.settings import Settings
from serving.auth import ApiKeyMiddleware
from serving.config import ServingConfig
from serving.nodelay import set_nodelay_on_listeners
from serving.schemas import Answer, SubscriberFeatures
from serving.scoring import score_columns, to_records
from serving.startup import start_up

_COLUMNS = ("subscriber_id", "as_of", *FEATURE_NAMES)
MAX_SUBSCRIBERS = 1000  # per request; the batch job is for more


def to_columns(records: list[dict]) -> dict[str, list]:
    """Vector records to the columns the scoring path takes."""
    return {c: [r[c] for r in records] for c in _COLUMNS}


# Two workers use both cores; a short traffic timeout stops abandoned requests from piling
# up as live objects (and the garbage-collection pauses they cause under load).
@bentoml.service(name="retain", workers=2, traffic={"timeout": 5})
class RetentionService:
    def __init__(self) -> None:
        settings = Settings.from_env()
        runtime = start_up(settings, ServingConfig.from_env(settings))  # fails fast
        self.models, self.store = runtime.models, runtime.store
        set_nodelay_on_listeners()
        # Everything loaded so far lives as long as the process: keep it out of GC scans.
        gc.collect()
        gc.freeze()

    @bentoml.api(route="/predict")
    def predict(
        self,
        subscribers: list[SubscriberFeatures] = [],  # type: ignore[valid-type]  # noqa: B006
        subscriber_ids: list[int] = [],  # noqa: B006
    ) -> list[Answer]:
        """Answer per subscriber: first for each of `subscriber_ids` (features from the online
        store; an unknown id gets status `unknown_subscriber`), then for each full record in
        `subscribers`, in request order."""
        if len(subscribers) + len(subscriber_ids) > MAX_SUBSCRIBERS:
            raise InvalidArgument(
                f"subscribers: at most {MAX_SUBSCRIBERS} per request, got "
                f"{len(subscribers) + len(subscriber_ids)}; use `retain score` for more"
            )
        records: list[dict] = []
        found: dict[int, dict] = {}
        if subscriber_ids:
            if self.store is None:
                raise InvalidArgument(
                    "subscriber_ids: this server has no online store (RETAIN_ONLINE_STORE=none); "
                    "send full feature records in `subscribers`"
                )
            found = self.store.get(list(dict.fromkeys(subscriber_ids)))
            records += [found[i] for i in subscriber_ids if i in found]
        given = [s.model_dump() for s in subscribers]
        seen: set[int] = set()
        for i, r in enumerate(given):
            if r["subscriber_id"] in seen:
                raise InvalidArgument(f"subscribers[{i}].subscriber_id: duplicate")
            seen.add(r["subscriber_id"])
        records += given
        answers = to_records(score_columns(to_columns(records), self.models)) if records else []
        if len(found) == len(set(subscriber_ids)):
            return [Answer.model_construct(**a) for a in answers]
        versions = {
            "churn_model_version": self.models.churn.ref,
            "value_model_version": self.models.value.ref,
        }
        out, it = [], iter(answers)
        for i in subscriber_ids:
            out.append(
                Answer.model_construct(**next(it))
                if i in found
                else Answer(subscriber_id=i, status="unknown_subscriber", **versions)
            )
        out += [Answer.model_construct(**a) for a in it]
        return out


RetentionService.add_asgi_middleware(ApiKeyMiddleware)
