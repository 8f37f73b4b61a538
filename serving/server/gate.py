"""The checks a /predict body passes before BentoML parses it, bounded whatever the input.

The request's limits come first (a JSON object, only `subscribers` and `subscriber_ids`, at
least one of them given, at most `MAX_SUBSCRIBERS` subscribers), then each record against
the request schema (`serving.server.schemas`) and the plausible ranges of the data contract
(`features.vector.RANGES`), then duplicate ids. At most `errors.MAX_PROBLEMS` problems are
kept, with the total count; once that many are kept, the rest are only counted. BentoML's
own validation would build (and log) every error of every record before any limit applied:
a 3 KB body of a thousand empty records gave a 16 MB answer.
"""

from __future__ import annotations

import json
import math

from pydantic import TypeAdapter, ValidationError

from features.definitions import NUMERIC
from features.vector import range_problem
from serving.server.errors import Problems
from serving.server.schemas import SubscriberFeatures, SubscriberId

MAX_SUBSCRIBERS = 1000  # per request; the batch job is for more
FIELDS = ("subscribers", "subscriber_ids")
USAGE = 'send {"subscriber_ids": [...]} or {"subscribers": [<feature records>]}'
_RECORD = TypeAdapter(SubscriberFeatures)
_ID = TypeAdapter(SubscriberId)


def check_predict(body: bytes) -> tuple[str, Problems] | None:
    """None when `body` is a request /predict can answer; else (summary, problems)."""
    problems = Problems()
    if not body.strip():
        return f"empty body: {USAGE}", problems
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as e:
        where = f" at line {e.lineno} column {e.colno}" if hasattr(e, "lineno") else ""
        return f"the body is not JSON{where}", problems
    if not isinstance(data, dict):
        return f"the body must be a JSON object: {USAGE}", problems
    for key in data:
        if key not in FIELDS:
            problems.add(key, "unknown field: the request takes subscribers, subscriber_ids")
    for key in FIELDS:
        if not isinstance(data.get(key, []), list):
            problems.add(key, "not a list")
    if problems:
        return f"{problems.total} problem(s) in the request's fields: {USAGE}", problems
    if not any(key in data for key in FIELDS):
        return f"no subscriber to answer: {USAGE}", problems
    records, ids = data.get("subscribers", []), data.get("subscriber_ids", [])
    n = len(records) + len(ids)  # explicitly empty lists: a request for nothing, answered []
    if n > MAX_SUBSCRIBERS:
        return (f"subscribers: at most {MAX_SUBSCRIBERS} per request, got {n}; use "
                "`retain score` for more"), problems  # fmt: skip
    for i, v in enumerate(ids):
        try:
            _ID.validate_python(v)
        except ValidationError as e:
            problems.add(f"subscriber_ids[{i}]", e.errors(include_url=False)[0]["msg"])
    seen: set[int] = set()
    for i, r in enumerate(records):
        _check_record(i, r, seen, problems)
    if problems:
        first = problems.items[0]
        return (f"{problems.total:,} problem(s) in {n:,} subscriber(s); first: "
                f"{first['field']}: {first['problem']}"), problems  # fmt: skip
    return None


def _check_record(i: int, record, seen: set[int], problems: Problems) -> None:
    where = f"subscribers[{i}]"
    if not isinstance(record, dict):
        problems.add(where, "not an object of features")
        return
    try:
        _RECORD.validate_python(record)
    except ValidationError as e:
        if problems.full:  # counted, not built: a thousand broken records cost little
            problems.total += e.error_count()
            return
        for err in e.errors(include_url=False, include_input=False, include_context=False):
            loc = ".".join(str(x) for x in err["loc"])
            problems.add(f"{where}.{loc}", err["msg"])
        return
    for name in NUMERIC:
        value = record[name]
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value) and (why := range_problem(name, value)):
            problems.add(f"{where}.{name}", why)
    sid = record["subscriber_id"]
    if sid in seen:
        problems.add(f"{where}.subscriber_id", "duplicate")
    seen.add(sid)
