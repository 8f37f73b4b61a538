"""Probes of the HTTP edge (issue 15, items 1, 6 and 9), for real on loopback: a body built
to amplify errors gets a bounded answer and one bounded log line, the body limit counts
the bytes received whatever the headers say, and every refusal has one shape."""

from __future__ import annotations

import json
import re
import socket
import time

import httpx
import psutil
import pytest

from tests.reliability.conftest import BODY_LIMIT, HEADER_TIMEOUT_S, KEY, record

pytestmark = pytest.mark.slow
BOUND = 16 * 1024  # the answer and the log of one refused request stay under this
REPEATS = 30  # the amplifying request, sent again and again: memory stays flat


def post(server, body: bytes, headers=None) -> httpx.Response:
    h = {"x-api-key": KEY, "content-type": "application/json"} | (headers or {})
    return httpx.post(f"{server.url}/predict", content=body, headers=h, timeout=30)


def worker_rss_mb(pid: int) -> dict[int, float]:
    """Resident memory of each process of the server (the arbiter and its workers), MB."""
    root = psutil.Process(pid)
    return {p.pid: p.memory_info().rss / 1e6 for p in [root, *root.children(recursive=True)]
            if p.is_running()}  # fmt: skip


def log_size(server) -> int:
    return server.log.stat().st_size


def assert_error_shape(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert set(body) == {"error", "problems", "problems_total"}, body
    assert isinstance(body["error"], str) and body["problems_total"] >= len(body["problems"])
    assert all(set(p) == {"field", "problem"} for p in body["problems"])
    return body


def test_probe_1a_a_thousand_empty_records_get_a_bounded_answer_and_log(server):
    body = json.dumps({"subscribers": [{}] * 1000}).encode()
    for _ in range(10):  # warm both workers: the first refusal's imports and caches
        post(server, body)
    before_log, before_rss = log_size(server), worker_rss_mb(server.pid)
    r = post(server, body)
    answer = assert_error_shape(r, 400)
    log_bytes = log_size(server) - before_log
    for _ in range(REPEATS - 1):
        post(server, body)
    after = worker_rss_mb(server.pid)
    growth = max(after[p] - before_rss[p] for p in after if p in before_rss)
    record("amplification", "1,000 empty records", request_bytes=len(body),
           response_bytes=len(r.content), log_bytes=log_bytes,
           worker_rss_growth_mb=round(growth, 1), repeats=REPEATS)  # fmt: skip
    assert answer["problems_total"] > 100_000 and len(answer["problems"]) == 20
    assert len(r.content) < BOUND and 0 < log_bytes < BOUND
    assert growth < 50


def test_probe_1b_more_records_than_the_limit_are_refused_before_any_is_checked(server):
    body = json.dumps({"subscribers": [{}] * 20_000}).encode()  # 60 KB
    t = time.perf_counter()
    r = post(server, body)
    elapsed = time.perf_counter() - t
    answer = assert_error_shape(r, 400)
    assert "at most 1000" in answer["error"] and len(r.content) < 1024 and elapsed < 2


def test_probe_1c_a_body_just_under_the_limit_stays_bounded(server):
    record_text = json.dumps({"subscriber_id": "x" * 200, "as_of": "y" * 200})
    n = (BODY_LIMIT - 100) // (len(record_text) + 1)
    body = ('{"subscribers": [' + ",".join([record_text] * min(n, 1000)) + "]}").encode()
    assert len(body) < BODY_LIMIT
    before = log_size(server)
    r = post(server, body)
    assert_error_shape(r, 400)
    assert len(r.content) < BOUND and log_size(server) - before < BOUND


def test_probe_6_content_length_with_chunked_is_counted_as_received(server):
    """`Content-Length: 10` and `Transfer-Encoding: chunked` with ten times the limit in
    chunks: refused with 413 at the limit, or rejected by the HTTP parser; never parsed."""
    host, port = server.url.removeprefix("http://").split(":")
    head = (f"POST /predict HTTP/1.1\r\nHost: {host}\r\nx-api-key: {KEY}\r\n"
            "Content-Type: application/json\r\nContent-Length: 10\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()  # fmt: skip
    chunk = b'{"subscriber_ids": [' + b"1," * (32 * 1024)
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head)
        try:
            for _ in range(10 * BODY_LIMIT // len(chunk) + 1):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: refused
        reply = s.recv(65536)
    status = int(reply.split(b" ", 2)[1])
    assert status in (400, 413), reply[:300]
    assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200


def test_probe_9h_slow_request_headers_are_cut_off(server):
    """A client that starts a request and then sends its headers slowly is disconnected
    after the header timeout; an ordinary request on a new connection is answered."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=HEADER_TIMEOUT_S * 5) as s:
        t = time.perf_counter()
        s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\n")
        closed = False
        try:
            for _ in range(HEADER_TIMEOUT_S * 4):
                time.sleep(0.5)
                s.sendall(b"X-Slow: 1\r\n")  # a header line now and then, never the end
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        if not closed:
            closed = s.recv(1024) == b""
        elapsed = time.perf_counter() - t
    assert closed and elapsed < HEADER_TIMEOUT_S * 4, elapsed
    ok = post(server, json.dumps({"subscriber_ids": server.ids[:1]}).encode())
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"{}", b"", b'{"subscriberz": [1]}', b'{"subscribers": [{}], "subscriberz": [1]}', b"[1]"],
    ids=["empty object", "empty body", "misspelled field", "one misspelled", "not an object"],
)
def test_probe_9a_a_request_with_nothing_to_answer_is_a_400(server, body):
    assert_error_shape(post(server, body), 400)
    explicit = post(server, b'{"subscribers": [], "subscriber_ids": []}')  # asked for nothing
    assert explicit.status_code == 200 and explicit.json() == []


@pytest.mark.parametrize(
    ("column", "value"),
    [("days_since_last_billable", 1e308), ("recharge_count_30d", -3), ("tenure_days", 1e9)],
)
def test_probe_9b_absurd_feature_values_get_a_400_naming_the_field(server, column, value):
    body = json.dumps({"subscribers": [server.record | {column: value}]}).encode()
    answer = assert_error_shape(post(server, body), 400)
    assert answer["problems"][0]["field"] == f"subscribers[0].{column}"
    assert "out of range" in answer["problems"][0]["problem"]


def test_probe_9c_every_refusal_has_the_one_error_shape(server):
    assert_error_shape(post(server, b"{}", headers={"x-api-key": "wrong"}), 401)
    assert_error_shape(post(server, b"x" * (BODY_LIMIT + 1)), 413)
    assert_error_shape(post(server, b"a=b", headers={"content-type": "text/plain"}), 415)
    assert_error_shape(post(server, b'{"subscriber_ids": ["x"]}'), 400)
    ok = post(server, json.dumps({"subscriber_ids": server.ids[:2]}).encode())
    assert ok.status_code == 200 and len(ok.json()) == 2


def test_probe_9d_a_client_error_is_one_warning_line_without_the_input(server):
    secret = "never-logged-value"
    before = log_size(server)
    body = json.dumps({"subscribers": [server.record | {"province": secret, "extra": 1}]})
    assert_error_shape(post(server, body.encode()), 400)
    time.sleep(0.5)
    with open(server.log, "rb") as f:
        f.seek(before)
        new = f.read().decode(errors="replace")
    lines = [line for line in new.splitlines() if "/predict 400" in line]
    assert len(lines) == 1, new[-2000:]
    assert "WARNING" in lines[0] or "warning" in lines[0].lower()
    assert secret not in new and "Traceback" not in new and "ERROR" not in new


def test_probe_20_a_refused_phone_number_is_logged_masked(server):
    """A request refused because of a field named by a phone number: the refusal's log line
    is written, and it carries the mask, not the number."""
    phone = "0901234567"
    before = log_size(server)
    answer = assert_error_shape(post(server, json.dumps({phone: [1]}).encode()), 400)
    assert phone not in json.dumps(answer)
    time.sleep(0.5)
    with open(server.log, "rb") as f:
        f.seek(before)
        new = f.read().decode(errors="replace")
    lines = [line for line in new.splitlines() if "/predict 400" in line]
    assert len(lines) == 1 and "<number>" in lines[0], new[-2000:]
    assert re.search(r"(?<!\d)0901234567(?!\d)", new) is None
