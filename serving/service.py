"""The BentoML service: POST /predict for CRM screens and call-centre tools.

Handlers only translate: ids are looked up in the online store, records are checked by
the request schema, and both go through the one `score_columns`. Start it with
`retain serve` (or `bentoml serve serving.service:RetentionService`); the pinned models
are loaded at start-up, checked against the online store, and every answer names them.
`/livez`, `/readyz` and `/metrics` are BentoML's own (`/readyz` fails while the store or a
model is unusable); `/docs` has the OpenAPI documents.

Before BentoML parses a /predict body, `serving.server.limits` bounds it and checks it
(`serving.server.gate`): limits first, then each record, at most a fixed number of
problems kept; every refusal has the one error shape (`serving.server.errors`). Every answer
comes from one model set and one store snapshot (`serving.server.live`), named in the
`X-Retain-Model-Set` and `X-Retain-Store` headers (and the model versions in each answer).

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
The online store is read on the event loop too: SQLite with no busy wait (a locked store
is a 503 at once, `serving.online_store`), Redis with a one-second timeout.
"""

from __future__ import annotations

import gc
import json
import math
import threading
import uuid
from datetime import date
from typing import Any

import bentoml
from starlette.responses import Response

from features.settings import Settings
from serving.batch.task import TaskFolders, TaskRefused, run_task
from serving.config import ServingConfig, header_timeout_s
from serving.language import LanguageError, check, negotiate
from serving.online_store import StoreError
from serving.server.auth import ApiKeyMiddleware
from serving.server.errors import error_body, log_refusal
from serving.server.gate import MAX_SUBSCRIBERS
from serving.server.limits import BodyLimitMiddleware
from serving.server.live import LANGUAGE, Live, to_columns
from serving.server.nodelay import set_nodelay_on_listeners
from serving.server.schemas import Answer, SubscriberFeatures, SubscriberId
from serving.server.slow_headers import time_out_slow_headers
from serving.server.traffic import cancel_timers_on_answer

ANSWER_FIELDS = tuple(Answer.model_fields)  # every batch column, `status` after the id
__all__ = ["MAX_SUBSCRIBERS", "RetentionService", "answer_json", "to_columns"]
RETRY_AFTER_S = 1


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


def _unavailable(error: str) -> Response:
    log_refusal("POST", "/predict", 503, error, None)
    return Response(error_body(error), status_code=503, media_type="application/json",
                    headers={"retry-after": str(RETRY_AFTER_S)})  # fmt: skip


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
        self.live = Live(settings, ServingConfig.from_env(settings))  # fails fast on models
        self.language = check(settings.language)  # the default: RETAIN_LANG
        self.settings, self.folders = settings, TaskFolders.from_env(settings)
        self.one_batch = threading.Lock()  # batches run one at a time per worker
        set_nodelay_on_listeners()
        cancel_timers_on_answer()
        time_out_slow_headers(header_timeout_s())
        _one_thread_for_lightgbm()
        # Everything loaded so far lives as long as the process: keep it out of GC scans.
        gc.collect()
        gc.freeze()

    async def __is_ready__(self) -> bool:
        """Ready when the pinned models are loaded and the store (if any) can be read."""
        served = self.live.current()
        if served.store_problem is not None:
            return False
        try:
            if served.store is not None:
                served.store.meta()
        except StoreError:
            return False
        return True

    @bentoml.api(route="/predict")
    async def predict(
        self,
        subscribers: list[SubscriberFeatures] = [],  # type: ignore[valid-type]  # noqa: B006
        subscriber_ids: list[SubscriberId] = [],  # type: ignore[valid-type]  # noqa: B006
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> list[Answer]:
        """Answer per subscriber: first for each of `subscriber_ids` (features from the online
        store; an unknown id gets status `unknown_subscriber`), then for each full record in
        `subscribers`, in request order; at most 1,000 subscribers per request. Headers
        `X-Retain-Model-Set` and `X-Retain-Store` name the one model set and store snapshot
        the whole answer came from.

        Errors, whatever refused the request, are `{"error": "<one line>", "problems":
        [{"field", "problem"}] (at most 20), "problems_total": <int>}`: 400 for a body that
        is not a request (unknown or missing fields, more than 1,000 subscribers, a record
        failing the schema or out of its plausible range, a duplicate id), 401 for a missing
        or wrong API key, 413 for a body over the limit, 415 for a body not JSON, 503 with
        Retry-After while the online store cannot be read.

        Reasons and display names are in the language of `?lang=` (en, vi), else the best
        match of `Accept-Language`, else RETAIN_LANG."""
        response = await self._answer(subscribers, subscriber_ids, ctx)
        if ctx is not None:  # BentoML sets a context's status on whatever the API returns
            ctx.response.status_code = response.status_code
        return response  # type: ignore[return-value]

    async def _answer(self, subscribers, subscriber_ids, ctx) -> Response:
        lang = self._language(ctx)
        if isinstance(lang, Response):
            return lang
        served = self.live.current()  # one set and one snapshot for the whole answer
        records: list[dict] = []
        found: dict[int, dict] = {}
        if subscriber_ids:
            if served.store is None:
                return _unavailable(
                    served.store_problem
                    or "subscriber_ids: this server has no online store (RETAIN_ONLINE_STORE="
                    "none); send full feature records in `subscribers`"
                )
            try:
                found = served.store.get(list(dict.fromkeys(subscriber_ids)))
            except StoreError as e:
                return _unavailable(str(e))
            records += [found[i] for i in subscriber_ids if i in found]
        records += [s.model_dump() for s in subscribers]
        records = [r | {LANGUAGE: lang} for r in records]  # through the coalescer
        answers = await served.coalesce(records) if records else []
        if len(found) < len(set(subscriber_ids)):
            it = iter(answers)
            unknown = {"status": "unknown_subscriber"} | served.versions
            answers = [
                next(it) if i in found else {"subscriber_id": i} | unknown for i in subscriber_ids
            ] + list(it)
        headers = {"x-retain-model-set": served.model_set,
                   "x-retain-store": served.store_generation}  # fmt: skip
        return Response(answer_json(answers), media_type="application/json", headers=headers)

    @bentoml.task(route="/batch")
    def batch(
        self,
        subscriber_ids: list[SubscriberId] = [],  # type: ignore[valid-type]  # noqa: B006
        vectors_file: str | None = None,
        reasons: bool = False,
        lang: str | None = None,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """A batch run in the background by the same job as `retain score` (see
        `serving.batch.task`): `POST /batch/submit` with `subscriber_ids` (read from the
        online store) or `vectors_file` (a Parquet file of feature vectors inside
        RETAIN_BATCH_INPUT) answers a `task_id`; `GET /batch/status?task_id=` its status;
        `GET /batch/get?task_id=` when completed the reconciliation (rows in = scored +
        rejected, reject counts, unknown ids) and where the scores, rejects, campaign list
        and report were written. `reasons`: for every row (true) or the campaign rows only
        (false, the default). A batch that cannot run fails with the one error shape."""
        served = self.live.current()  # one model set for the whole batch
        state = getattr(getattr(ctx, "request", None), "state", None)
        task_id = getattr(state, "task_id", None) or uuid.uuid4().hex
        try:
            language = check(lang) if lang is not None else self.language
            with self.one_batch:
                answer = run_task(task_id, self.folders, self.settings, served.models,
                                  served.store, subscriber_ids, vectors_file, reasons,
                                  language)  # fmt: skip
        except (TaskRefused, LanguageError, StoreError) as e:
            log_refusal("POST", "/batch", 400, str(e), None)
            if ctx is not None:
                ctx.response.status_code = 400
            return Response(error_body(str(e)), status_code=400,  # type: ignore[return-value]
                            media_type="application/json")  # fmt: skip
        body = {k: None if isinstance(v, float) and not math.isfinite(v) else v
                for k, v in answer.items()} | {"task_id": task_id}  # fmt: skip
        return Response(json.dumps(body), media_type="application/json")  # type: ignore[return-value]

    def _language(self, ctx) -> str | Response:
        if ctx is None:
            return self.language
        asked = ctx.request.query_params.get("lang")
        if asked is not None:
            try:
                return check(asked)
            except LanguageError as e:
                log_refusal("POST", "/predict", 400, f"lang: {e}", None)
                return Response(error_body(f"lang: {e}"), status_code=400,
                                media_type="application/json")  # fmt: skip
        return negotiate(ctx.request.headers.get("accept-language"), self.language)


RetentionService.add_asgi_middleware(ApiKeyMiddleware)
RetentionService.add_asgi_middleware(BodyLimitMiddleware)
