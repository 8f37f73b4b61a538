"""The checks a /batch/submit body passes before BentoML queues it as a task, bounded
whatever the input: a JSON object with either `subscriber_ids` (int64, at most
`serving.batch.task.MAX_IDS`) or `vectors_file` (a name inside the input folder), and
optionally `reasons` (true: reasons for every row; false: for the campaign rows only) and
`lang`. A refused body is a 400 at once, in the one error shape, and no task is created.
"""

from __future__ import annotations

import json

from serving.batch.task import MAX_IDS
from serving.server.errors import Problems

FIELDS = ("subscriber_ids", "vectors_file", "reasons", "lang")
USAGE = 'send {"subscriber_ids": [...]} or {"vectors_file": "<name>.parquet"}'
_INT64 = (-(2**63), 2**63 - 1)


def check_batch(body: bytes) -> tuple[str, Problems] | None:
    """None when `body` is a batch the task endpoint can take; else (summary, problems)."""
    problems = Problems()
    try:
        data = json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return f"the body is not JSON: {USAGE}", problems
    if not isinstance(data, dict):
        return f"the body must be a JSON object: {USAGE}", problems
    for key in data:
        if key not in FIELDS:
            problems.add(key, f"unknown field: a batch takes {', '.join(FIELDS)}")
    ids, name = data.get("subscriber_ids"), data.get("vectors_file")
    if ids is not None and not isinstance(ids, list):
        problems.add("subscriber_ids", "not a list")
    if name is not None and not isinstance(name, str):
        problems.add("vectors_file", "not a string")
    if not isinstance(data.get("reasons", False), bool):
        problems.add("reasons", "not true or false")
    if data.get("lang") is not None and not isinstance(data["lang"], str):
        problems.add("lang", "not a string")
    if problems:
        return f"{problems.total} problem(s) in the batch's fields: {USAGE}", problems
    if bool(ids) == (name is not None):
        return f"either subscriber_ids (not empty) or vectors_file, not both: {USAGE}", problems
    if ids and len(ids) > MAX_IDS:
        return f"subscriber_ids: at most {MAX_IDS:,} per batch, got {len(ids):,}", problems
    for i, v in enumerate(ids or ()):
        if isinstance(v, bool) or not isinstance(v, int) or not _INT64[0] <= v <= _INT64[1]:
            problems.add(f"subscriber_ids[{i}]", "not an int64 subscriber id")
    if problems:
        first = problems.items[0]
        return (f"{problems.total:,} problem(s) in the batch; first: {first['field']}: "
                f"{first['problem']}"), problems  # fmt: skip
    return None
