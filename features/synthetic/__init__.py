"""The synthetic operator: a seeded simulation of a prepaid-heavy mobile operator that
writes the raw tables of the data contract, and its truth (latent hazards, offer effects)
kept apart. Imported by `retain generate`, tests and benchmarks, never by training or
serving code paths.

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "GeneratorConfig": "features.synthetic.generator",
        "generate_operator": "features.synthetic.generator",
        "TRUTH_TABLES": "features.synthetic.truth",
        "read_truth": "features.synthetic.truth",
    },
)
