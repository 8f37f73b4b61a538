"""Serving settings, read once from the environment at an entry point."""

from __future__ import annotations

import os
from dataclasses import dataclass

from features.settings import Settings

# 1,000 full feature records (the most one request may carry) are about 3.8 MB of JSON.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


def max_body_bytes(env: dict[str, str] | None = None) -> int:
    """RETAIN_MAX_BODY_BYTES: the largest request body served (default 8 MiB); larger get 413."""
    env = dict(os.environ if env is None else env)
    raw = env.get("RETAIN_MAX_BODY_BYTES", "")
    try:
        value = int(raw) if raw else DEFAULT_MAX_BODY_BYTES
    except ValueError as e:
        raise ValueError(f"RETAIN_MAX_BODY_BYTES: not a number of bytes: {raw!r}") from e
    if value < 1024:
        raise ValueError(f"RETAIN_MAX_BODY_BYTES: at least 1024, got {value}")
    return value


DEFAULT_HEADER_TIMEOUT_S = 10.0


def header_timeout_s(env: dict[str, str] | None = None) -> float:
    """RETAIN_HEADER_TIMEOUT_S: seconds a connection has to send a request's headers
    (default 10); slower ones are closed (`serving.server.slow_headers`)."""
    env = dict(os.environ if env is None else env)
    raw = env.get("RETAIN_HEADER_TIMEOUT_S", "")
    try:
        value = float(raw) if raw else DEFAULT_HEADER_TIMEOUT_S
    except ValueError as e:
        raise ValueError(f"RETAIN_HEADER_TIMEOUT_S: not a number of seconds: {raw!r}") from e
    if not 0 < value <= 3600:
        raise ValueError(f"RETAIN_HEADER_TIMEOUT_S: between 0 and 3600 seconds, got {value}")
    return value


@dataclass(frozen=True)
class ServingConfig:
    """RETAIN_ONLINE_STORE: sqlite:///path (default: features.sqlite under RETAIN_HOME/online),
    redis://host:port/db, or `none` to serve full feature records only.
    RETAIN_API_KEY: when set, every API call must send it (header `X-API-Key`, or
    `Authorization: Bearer <key>`); health, readiness and metrics stay open for probes.
    RETAIN_MAX_BODY_BYTES: request bodies above it get 413 (`serving.server.limits`)."""

    online_store: str | None
    api_key: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_env(cls, settings: Settings, env: dict[str, str] | None = None) -> ServingConfig:
        env = dict(os.environ if env is None else env)
        store = env.get("RETAIN_ONLINE_STORE") or default_store_uri(settings)
        return cls(
            online_store=None if store.lower() == "none" else store,
            api_key=env.get("RETAIN_API_KEY") or None,
            max_body_bytes=max_body_bytes(env),
        )


def default_store_uri(settings: Settings) -> str:
    return f"sqlite:///{settings.home / 'online' / 'features.sqlite'}"
