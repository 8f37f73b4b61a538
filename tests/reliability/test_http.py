"""The online endpoint under hostile HTTP, for real on loopback: schema-driven fuzzing gets no
5xx, oversized bodies get 413, a missing or wrong key 401, unknown subscribers an explicit
answer, and phone numbers sent in any field never reach the server's log. The fuzzing once
found two 5xx causes (an id beyond int64, a null optional feature in a reason phrase); each
keeps its own regression test below."""

from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.reliability.conftest import BODY_LIMIT, KEY, SCALE, record

pytestmark = pytest.mark.slow
FUZZ_EXAMPLES = 1000 if SCALE == "bench" else 120
# A Vietnamese mobile number standing alone (not inside a hex trace or span id).
PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+?84|0)[35789]\d{8}(?![0-9A-Za-z])")


def post(server, body=None, headers=None, **kw) -> httpx.Response:
    h = {"x-api-key": KEY} | (headers or {})
    return httpx.post(f"{server.url}/predict", json=body, headers=h, timeout=30, **kw)


def test_fuzzing_the_openapi_schema_gets_no_5xx(server):
    schema = schemathesis.openapi.from_url(f"{server.url}/docs.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert any(op.path == "/predict" for op in operations)
    strategy = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=strategy)
    def fuzz(case):
        r = case.call(base_url=server.url, headers={"x-api-key": KEY}, timeout=30)
        statuses[r.status_code] += 1
        if r.status_code >= 500:
            server_errors.append(f"{case.method} {case.path} {case.body!r:.300} -> "
                                 f"{r.status_code}")  # fmt: skip

    fuzz()
    assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200  # still up
    examples = sum(statuses.values())
    record("fuzz", "schemathesis on /docs.json", examples=examples,
           server_errors=len(server_errors), statuses=dict(sorted(statuses.items())))  # fmt: skip
    assert examples >= FUZZ_EXAMPLES // 2
    assert server_errors == []
    assert statuses[200] > 0 and sum(n for s, n in statuses.items() if 400 <= s < 500) > 0


def test_id_beyond_int64_gets_4xx(server):
    r = post(server, {"subscribers": [server.record | {"subscriber_id": 2**63}]})
    assert 400 <= r.status_code < 500
    r = post(server, {"subscriber_ids": [2**63]})
    assert 400 <= r.status_code < 500


def test_null_feature_gets_an_answer_not_500(server):
    for column in ("data_mb_sum_30d", "sms_out_sum_90d"):
        r = post(server, {"subscribers": [server.record | {column: None}]})
        assert r.status_code < 500, column


def test_non_json_body_gets_415(server):
    r = httpx.post(f"{server.url}/predict", content=b"--x\r\n\x00", timeout=30,
                   headers={"x-api-key": KEY, "content-type": "multipart/form-data"})  # fmt: skip
    assert r.status_code == 415 and "application/json" in r.json()["error"]


def test_oversized_body_gets_413_announced_or_chunked(server):
    ids = [10**12 + i for i in range(BODY_LIMIT // 10)]  # about 1.4x the limit as JSON
    r = post(server, {"subscriber_ids": ids})
    assert r.status_code == 413 and "RETAIN_MAX_BODY_BYTES" in r.json()["error"]

    def chunks():
        body = b'{"subscriber_ids": [' + b"1," * BODY_LIMIT + b"1]}"
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    r = httpx.post(f"{server.url}/predict", content=chunks(), timeout=30,
                   headers={"x-api-key": KEY, "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 413
    small = post(server, {"subscriber_ids": server.ids[:3]})  # under the limit: answered
    assert small.status_code == 200 and len(small.json()) == 3
    record("http", "body over the limit", handled="413 (Content-Length and chunked)")


def test_missing_or_wrong_key_gets_401(server):
    body = {"subscriber_ids": server.ids[:1]}
    assert httpx.post(f"{server.url}/predict", json=body, timeout=30).status_code == 401
    assert post(server, body, headers={"x-api-key": KEY + "x"}).status_code == 401
    assert post(server, body, headers={"x-api-key": ""}).status_code == 401
    ok = post(server, body, headers={"authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200
    record("http", "missing or wrong API key", handled="401, compared in constant time")


def test_unknown_subscriber_gets_an_explicit_answer(server):
    r = post(server, {"subscriber_ids": [-1, server.ids[0]]})
    assert r.status_code == 200
    unknown, known = r.json()
    assert unknown["subscriber_id"] == -1 and unknown["status"] == "unknown_subscriber"
    assert known["status"] == "ok"
    record("http", "unknown subscriber", handled="200 with status unknown_subscriber")


def test_phone_numbers_never_reach_the_log(server):
    phone = "84901234567"
    rec = dict(server.record)
    sent = [
        {"subscriber_ids": [int(phone)]},  # an id that is a phone number
        {"subscriber_ids": [phone]},  # a phone number where an id goes
        {"subscriber_ids": ["+" + phone]},
        {"subscribers": [rec | {"msisdn": "0901234567"}]},  # a field the schema lacks
        {"subscribers": [rec | {"subscriber_id": "0901234567"}]},
        {"subscribers": [rec | {"province": "+84901234567"}]},
    ]
    statuses = [post(server, body).status_code for body in sent]
    statuses.append(post(server, {"subscriber_ids": [1]}, headers={"x-api-key": phone}).status_code)
    bad = httpx.post(f"{server.url}/predict?msisdn={phone}", content=b"{" + phone.encode(),
                     headers={"x-api-key": KEY, "content-type": "application/json"})  # fmt: skip
    statuses.append(bad.status_code)
    assert all(s < 500 for s in statuses), statuses
    log = server.log.read_text(errors="replace")
    assert "Uvicorn running" in log or "Starting production" in log or len(log) > 200
    found = PHONE.findall(log)
    record("http", "phone numbers in requests", handled=f"{len(sent) + 2} requests, "
           f"{len(found)} phone-like strings in the server log")  # fmt: skip
    assert found == []
