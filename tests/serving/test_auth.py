"""The API key middleware, called as the ASGI app it is."""

import asyncio

import pytest

from serving.server.auth import ApiKeyMiddleware


async def _ok_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def call(key: str | None, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "headers": headers}
    asyncio.run(ApiKeyMiddleware(_ok_app, key=key)(scope, None, send))
    return sent[0]["status"]


@pytest.mark.parametrize(
    "headers, status",
    [
        ([], 401),
        ([(b"x-api-key", b"wrong")], 401),
        ([(b"x-api-key", b"s3cret")], 200),
        ([(b"authorization", b"Bearer s3cret")], 200),
        ([(b"authorization", b"Basic s3cret")], 401),
    ],
)
def test_predict_needs_the_key(headers, status):
    assert call("s3cret", "/predict", headers) == status


def test_probes_stay_open_and_no_key_means_no_check():
    assert call("s3cret", "/readyz", []) == 200
    assert call("s3cret", "/metrics", []) == 200
    assert call("", "/predict", []) == 200


def test_keys_are_compared_in_constant_time_on_equal_lengths(monkeypatch):
    import hmac

    from serving.server import auth

    compared, real = [], hmac.compare_digest

    def spy(a, b):
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    for offered in (b"", b"s", b"s3cre", b"s3cret", b"s3cret-and-more" * 10):
        call("s3cret", "/predict", [(b"x-api-key", offered)])
    assert len(compared) == 5 and set(compared) == {(32, 32)}
