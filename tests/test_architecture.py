"""The layout holds: dependencies point one way, the synthetic operator stays out of the
product's code paths, modules stay small, and every package states its public API."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("features", "training", "serving")
MAX_LINES = 300


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module `path` imports (absolute imports; `from a import b` counts as a.b too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_dependencies_point_one_way():
    wrong = []
    for path in _modules():
        top = _rel(path).split("/")[0]
        for name in _imports(path):
            target = name.split(".")[0]
            if top == "features" and target in ("training", "serving"):
                wrong.append(f"{_rel(path)} imports {name}")
            if top == "serving" and target == "training":
                wrong.append(f"{_rel(path)} imports {name}")
    assert wrong == []


def test_training_and_serving_never_import_the_synthetic_operator():
    wrong = [
        f"{_rel(p)} imports {n}"
        for p in _modules()
        if _rel(p).split("/")[0] in ("training", "serving")
        for n in _imports(p)
        if n.startswith("features.synthetic")
    ]
    assert wrong == []


def test_no_module_is_longer_than_the_limit():
    long = {_rel(p): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize(
    "package",
    sorted(
        p.parent.relative_to(ROOT).as_posix().replace("/", ".")
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("__init__.py")
    ),
)
def test_every_package_lists_its_public_api(package):
    module = importlib.import_module(package)
    assert module.__doc__ and module.__all__, f"{package}: no docstring or empty __all__"
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name} does not resolve"


def test_no_grab_bag_modules_and_one_name_per_concept():
    names = {p.stem for p in _modules()}
    assert not names & {"utils", "helpers", "misc", "common"}
    defined: dict[str, list[str]] = {}
    for path in _modules():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef) and not node.name.startswith("_"):
                defined.setdefault(node.name, []).append(_rel(path))
    for concept in ("SegmentConfig", "value_tier", "Offer", "replacing", "Answer"):
        assert len(defined.get(concept, [])) <= 1, (concept, defined.get(concept))


def test_the_project_documents_itself_in_its_own_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        assert "../shared" not in doc.read_text(), doc.name
    assert "docs/architecture.md" in (ROOT / "README.md").read_text()
