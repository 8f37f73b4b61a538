"""The BentoML service: POST /predict for CRM screens and call-centre tools.

Handlers only translate: ids are looked up in the online store, records are checked by
the request schema, and both go through the one `score_columns`. Start it with
`retain serve` (or `bentoml serve serving.service:RetentionService`); the `champion`
models are resolved once at start-up, checked against the online store, and every answer
names their versions. `/livez`, `/readyz` and `/metrics` are BentoML's own; `/docs` has
the OpenAPI documents.

Per request the service does as little as the answer needs (see `bench/serving.py`): the
handler is a coroutine, so the answer is computed on the event loop without a hop to a
thread pool and a fight for the GIL; LightGBM predicts on that one thread (a one-row
predict gains nothing from OpenMP, whose idle threads spin on the cores the other worker
needs); the answer is written as JSON straight from the scoring path's plain values, in
the `Answer` model's field order, instead of being built and re-checked as models; and
the per-request access log is off (`/metrics` still counts every request). Under load,
the records of every request that reached the event loop in the same turn are scored in
one `score_columns` call (`Coalescer`): its fixed cost is paid once per turn, not once per
request, and rows are scored independently, so every answer is the one it would be alone.
"""

from __future__ import annotations

import gc
import json
import math
from datetime import date
from typing import Any

import bentoml
from bentoml.exceptions import InvalidArgument
from starlette.responses import Response

from features.definitions import FEATURE_NAMES
from features.settings import Settings
from serving.config import ServingConfig
from serving.language import LanguageError, check, negotiate
from serving.scoring import score_columns, to_records
from serving.server.auth import ApiKeyMiddleware
from serving.server.coalesce import Coalescer
from serving.server.limits import BodyLimitMiddleware
from serving.server.nodelay import set_nodelay_on_listeners
from serving.server.schemas import Answer, SubscriberFeatures, SubscriberId
from serving.server.traffic import cancel_timers_on_answer
from serving.startup import start_up

_COLUMNS = ("subscriber_id", "as_of", *FEATURE_NAMES)
ANSWER_FIELDS = tuple(Answer.model_fields)  # every batch column, `status` after the id
MAX_SUBSCRIBERS = 1000  # per request; the batch job is for more
LANGUAGE = "_language"  # a record's answer language, beside its features (never a feature)


def to_columns(records: list[dict]) -> dict[str, list]:
    """Vector records to the columns the scoring path takes."""
    return {c: [r[c] for r in records] for c in _COLUMNS}


def answer_json(answers: list[dict[str, Any]]) -> bytes:
    """Answers as the JSON array of `Answer`s: every field of `ANSWER_FIELDS` in order (absent
    ones null, `status` ok unless given), dates ISO, non-finite floats null as pydantic
    writes them; floats keep their shortest round-trip form, so a client reads the batch's
    bits."""
    out = []
    for a in answers:
        row = {}
        for k in ANSWER_FIELDS:
            v = a.get(k, "ok" if k == "status" else None)
            if type(v) is float and not math.isfinite(v):
                v = None
            elif isinstance(v, date):
                v = v.isoformat()
            row[k] = v
        out.append(row)
    return json.dumps(out, separators=(",", ":"), allow_nan=False).encode()


def _one_thread_for_lightgbm() -> None:
    """OpenMP's thread count for this thread (the event loop's: it runs every predict)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="openmp")


# Two workers use both cores; a short traffic timeout stops abandoned requests from piling
# up as live objects, and `cancel_timers_on_answer` stops finished ones from living on until
# their timeout (both cause garbage-collection pauses under load: see serving/server/traffic.py).
@bentoml.service(
    name="retain",
    workers=2,
    traffic={"timeout": 5},
    logging={"access": {"enabled": False}},
)
class RetentionService:
    def __init__(self) -> None:
        settings = Settings.from_env()
        runtime = start_up(settings, ServingConfig.from_env(settings))  # fails fast
        self.models, self.store = runtime.models, runtime.store
        self.versions = {
            "churn_model_version": self.models.churn.ref,
            "value_model_version": self.models.value.ref,
        }
        self.language = check(settings.language)  # the default: RETAIN_LANG
        self.coalesce = Coalescer(
            lambda records: to_records(
                score_columns(
                    to_columns(records),
                    self.models,
                    language=[r.get(LANGUAGE, self.language) for r in records],
                )
            )
        )
        set_nodelay_on_listeners()
        cancel_timers_on_answer()
        _one_thread_for_lightgbm()
        # Everything loaded so far lives as long as the process: keep it out of GC scans.
        gc.collect()
        gc.freeze()

    @bentoml.api(route="/predict")
    async def predict(
        self,
        subscribers: list[SubscriberFeatures] = [],  # type: ignore[valid-type]  # noqa: B006
        subscriber_ids: list[SubscriberId] = [],  # type: ignore[valid-type]  # noqa: B006
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> list[Answer]:
        """Answer per subscriber: first for each of `subscriber_ids` (features from the online
        store; an unknown id gets status `unknown_subscriber`), then for each full record in
        `subscribers`, in request order. Reasons and display names are in the language of
        `?lang=` (en, vi), else the best match of `Accept-Language`, else RETAIN_LANG."""
        lang = self._language(ctx)
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
        if lang != self.language:  # each record carries its language through the coalescer
            records = [r | {LANGUAGE: lang} for r in records]
        answers = await self.coalesce(records) if records else []
        if len(found) < len(set(subscriber_ids)):
            it = iter(answers)
            unknown = {"status": "unknown_subscriber"} | self.versions
            answers = [
                next(it) if i in found else {"subscriber_id": i} | unknown for i in subscriber_ids
            ] + list(it)
        return Response(answer_json(answers), media_type="application/json")  # type: ignore[return-value]

    def _language(self, ctx) -> str:
        if ctx is None:
            return self.language
        asked = ctx.request.query_params.get("lang")
        if asked is not None:
            try:
                return check(asked)
            except LanguageError as e:
                raise InvalidArgument(f"lang: {e}") from None
        return negotiate(ctx.request.headers.get("accept-language"), self.language)


RetentionService.add_asgi_middleware(ApiKeyMiddleware)
RetentionService.add_asgi_middleware(BodyLimitMiddleware)
