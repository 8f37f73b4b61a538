"""The feature families, one per concern: `usage` (calls, SMS, data, revenue), `accounts`
(top-ups and invoices), `relationship` (attributes, care, lifecycle and campaign
history); `feature` declares what a feature is.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "Feature": "features.families.feature",
        "Source": "features.families.feature",
    },
)
