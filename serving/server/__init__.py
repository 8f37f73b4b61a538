"""The HTTP edges of the BentoML service: request and answer models (`schemas`), request
coalescing, API keys, body limits, traffic timeouts, TCP_NODELAY and log redaction.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

import importlib

_API = {
    "SubscriberFeatures": "serving.server.schemas",
    "Answer": "serving.server.schemas",
    "Coalescer": "serving.server.coalesce",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
