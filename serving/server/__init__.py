"""The HTTP edges of the BentoML service: request and answer models (`schemas`), the checks
before BentoML parses a body (`gate`) and the one error answer (`errors`), the model set and
store snapshot served (`live`), request coalescing, API keys, body limits, traffic timeouts,
TCP_NODELAY and log redaction.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "SubscriberFeatures": "serving.server.schemas",
        "Answer": "serving.server.schemas",
        "Coalescer": "serving.server.coalesce",
        "check_predict": "serving.server.gate",
        "Problems": "serving.server.errors",
        "Live": "serving.server.live",
    },
)
