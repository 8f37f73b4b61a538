"""Digests of a registered model's files: recorded by training, verified by serving.

Every registered version carries the model-version tag `sha256`: a JSON object mapping
each model file serving parses (`*.lgb` boosters, `calibration.json`, `uplift.json`,
`btyd.json`, the hazard booster `survival.txt`), by
its POSIX path relative to the folder `models:/<name>/<version>` downloads to, to its
SHA-256 hex digest. It lives here, beside the other model data both sides read, because
serving does not import training.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

DIGEST_TAG = "sha256"
MODEL_FILES = ("*.lgb", "calibration.json", "uplift.json", "btyd.json", "survival.txt")


def sha256_file(path: Path) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_files(folder: Path) -> dict[str, Path]:
    """The files matching `MODEL_FILES` under `folder`, by relative POSIX path."""
    folder = Path(folder)
    found = {p for pattern in MODEL_FILES for p in folder.rglob(pattern) if p.is_file()}
    return {p.relative_to(folder).as_posix(): p for p in sorted(found)}


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every model file under `folder`, by relative POSIX path."""
    return {name: sha256_file(path) for name, path in model_files(folder).items()}
