"""Serving settings, read once from the environment at an entry point."""

from __future__ import annotations

import os
from dataclasses import dataclass

from features.settings import Settings


@dataclass(frozen=True)
class ServingConfig:
    """RETAIN_ONLINE_STORE: sqlite:///path (default: features.sqlite under RETAIN_HOME/online),
    redis://host:port/db, or `none` to serve full feature records only.
    RETAIN_API_KEY: when set, every API call must send it (header `X-API-Key`, or
    `Authorization: Bearer <key>`); health, readiness and metrics stay open for probes."""

    online_store: str | None
    api_key: str | None = None

    @classmethod
    def from_env(cls, settings: Settings, env: dict[str, str] | None = None) -> ServingConfig:
        env = dict(os.environ if env is None else env)
        store = env.get("RETAIN_ONLINE_STORE") or default_store_uri(settings)
        return cls(
            online_store=None if store.lower() == "none" else store,
            api_key=env.get("RETAIN_API_KEY") or None,
        )


def default_store_uri(settings: Settings) -> str:
    return f"sqlite:///{settings.home / 'online' / 'features.sqlite'}"
