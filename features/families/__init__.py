"""The feature families, one per concern: `usage` (calls, SMS, data, revenue), `accounts`
(top-ups and invoices), `relationship` (attributes, care, lifecycle and campaign
history); `feature` declares what a feature is.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

import importlib

_API = {
    "Feature": "features.families.feature",
    "Source": "features.families.feature",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
