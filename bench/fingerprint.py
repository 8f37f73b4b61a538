"""What a benchmark result measured: the code, the feature schema, the settings and, for the
synthetic operator, the generator's settings and code.

Every `bench/results/<name>.json` is written through `write_result`, which adds a
`fingerprint`: the commit it ran on (information only), a SHA-256 over the files of the
code it measures (`code`: paths relative to the repository, files or folders), the feature
schema version, its settings, and for synthetic data the generator's settings with a
SHA-256 of `features/synthetic/`. `stale` recomputes the code hashes of a committed result,
so `python -m bench.readme_table --check` fails when the code a result describes has changed
since it was measured. `cache_key` gives caches of generated data the same key.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GENERATOR_CODE = ("features/synthetic",)


def code_sha(paths: tuple[str, ...] | list[str]) -> str:
    """SHA-256 over the Python and TOML files under `paths` (sorted; names and contents)."""
    digest = hashlib.sha256()
    for rel in sorted(paths):
        base = ROOT / rel
        if not base.exists():
            raise FileNotFoundError(f"fingerprint: {rel} does not exist")
        files = (
            [base]
            if base.is_file()
            else sorted(p for p in base.rglob("*") if p.suffix in (".py", ".toml") and p.is_file())
        )
        for f in files:
            digest.update(f.relative_to(ROOT).as_posix().encode() + b"\0")
            digest.update(f.read_bytes() + b"\0")
    return digest.hexdigest()


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


PACKAGES = ("features", "training", "serving", "bench")


def loaded_modules() -> list[str]:
    """The project's Python files this process has imported so far (relative paths): the
    code an in-process benchmark actually ran."""
    import sys

    found = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = Path(path).resolve()
        if path.is_relative_to(ROOT) and path.relative_to(ROOT).parts[0] in PACKAGES:
            found.add(path.relative_to(ROOT).as_posix())
    return sorted(found)


def fingerprint(code: tuple[str, ...], settings: dict, generator: dict | None = None) -> dict:
    """The fingerprint of a run measuring the files under `code` with `settings` (and, on
    the synthetic operator, its `generator` settings). Every project module the process
    imported is added to `code`, so an in-process benchmark names its own file and any
    non-Python input, and a subprocess-based one names the folders its children run."""
    from features.definitions import feature_schema_version

    code = tuple(sorted(set(code) | _outside(code, loaded_modules())))
    fp = {
        "commit": _commit(),
        "code": {"paths": sorted(code), "sha256": code_sha(code)},
        "feature_schema_version": feature_schema_version(),
        "settings": settings,
    }
    if generator is not None:
        fp["generator"] = {"settings": generator, "code_sha256": code_sha(GENERATOR_CODE)}
    return fp


def _outside(code, modules: list[str]) -> set[str]:
    """The modules not already under one of the `code` folders."""
    return {
        m for m in modules if not any(m == c or m.startswith(c.rstrip("/") + "/") for c in code)
    }


def cache_key(generator: dict) -> str:
    """A short key for cached synthetic data: the generator's settings and code."""
    text = json.dumps(generator, sort_keys=True, default=str) + code_sha(GENERATOR_CODE)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_result(
    name: str,
    result: dict,
    code: tuple[str, ...],
    settings: dict,
    generator: dict | None = None,
) -> Path:
    """Write `bench/results/<name>.json`: `result` with its `fingerprint`."""
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = dict(result) | {"fingerprint": fingerprint(code, settings, generator)}
    path.write_text(json.dumps(body, indent=2, default=str) + "\n")
    return path


def stale(path: Path) -> list[str]:
    """Why the result at `path` no longer describes the code (empty when it does)."""
    data = json.loads(Path(path).read_text())
    fp = data.get("fingerprint")
    if not fp:
        return [f"{Path(path).name}: no fingerprint"]
    problems = []
    try:
        if code_sha(fp["code"]["paths"]) != fp["code"]["sha256"]:
            problems.append(
                f"{Path(path).name}: the code it measured ({', '.join(fp['code']['paths'])}) "
                "has changed since; re-run the benchmark"
            )
        gen = fp.get("generator")
        if gen and code_sha(GENERATOR_CODE) != gen["code_sha256"]:
            problems.append(f"{Path(path).name}: the generator's code has changed since")
    except (KeyError, TypeError, FileNotFoundError) as e:
        problems.append(f"{Path(path).name}: unreadable fingerprint ({e})")
    return problems
