"""A package's public API, loaded lazily (PEP 562): `__init__.py` names each public object
and the module that defines it, and importing the package runs no submodule (nothing
happens at import), while `from features import build_snapshot` still works."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_api(package: str, api: dict[str, str]) -> tuple[list[str], Callable[[str], object]]:
    """(`__all__`, `__getattr__`) for `package`, whose public names live in the modules `api`
    maps them to."""

    def __getattr__(name: str) -> object:
        if name in api:
            return getattr(importlib.import_module(api[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return sorted(api), __getattr__
