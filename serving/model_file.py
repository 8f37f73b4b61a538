"""Check a LightGBM text model file before LightGBM parses it.

LightGBM's parser aborts the whole process (C++ `terminate`, SIGABRT) on most damaged
files (truncated, garbage in a tree, random bytes), and loads some silently (a tree cut
before `end of trees`, a changed `num_leaves`). A server or batch job must refuse such a
file with a message instead, so the structure is checked here first: the header, the byte
size of every tree against the header's `tree_sizes`, and in every tree that each array
parses as numbers of the length `num_leaves` implies, with features and children in range.
The `parameters:` block at the end is checked line by line too (LightGBM crashes on a
malformed one).
A changed digit that keeps all of this valid is caught by the checksum instead.

Checksums: `verify_digests` checks a downloaded version against the `sha256` tag training
recorded (its format: `features.artefacts.digests`), refusing a tagged file that is missing or
differs and a model file that is not tagged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from features.artefacts.digests import DIGEST_TAG, model_files, sha256_file

_PER_SPLIT = ("split_feature", "split_gain", "threshold", "decision_type", "left_child",
              "right_child", "internal_value", "internal_weight", "internal_count")  # fmt: skip
_PER_LEAF = ("leaf_value", "leaf_weight", "leaf_count")
_PARAMETER = re.compile(r"\[[a-z_0-9]+: [^\n]*\]")


class CorruptModelFile(ValueError):
    """The file is not an intact LightGBM text model; the message says where."""


class ChecksumMismatch(CorruptModelFile):
    """A model file differs from the digest recorded at registration, or has none."""

    def __init__(self, file: str, expected: str | None, actual: str | None) -> None:
        self.file, self.expected, self.actual = file, expected, actual
        if actual is None:
            what = f"missing, registered with sha256 {expected}"
        elif expected is None:
            what = f"not among the registered digests (sha256 {actual})"
        else:
            what = f"sha256 {actual}, registered {expected}"
        super().__init__(f"{file}: {what}")


def verify_digests(folder: Path, tag: str) -> None:
    """Raise ChecksumMismatch unless every file in `tag` (the `DIGEST_TAG` value) is under
    `folder` with that SHA-256 and every model file under `folder` is in `tag`."""
    try:
        expected = json.loads(tag)
        if not isinstance(expected, dict) or not all(isinstance(v, str) for v in expected.values()):
            raise ValueError("not an object of strings")
    except ValueError as e:
        raise CorruptModelFile(f"tag {DIGEST_TAG} is not a JSON object of digests: {e}") from e
    found = model_files(folder)
    for name in sorted(expected.keys() | found.keys()):
        path = Path(folder) / name
        actual = sha256_file(path) if path.is_file() else None
        if actual != expected.get(name):
            raise ChecksumMismatch(name, expected.get(name), actual)


def check_model_text(path: Path) -> int:
    """Raise CorruptModelFile unless `path` is an intact LightGBM text model; return its
    number of trees."""
    try:
        text = Path(path).read_bytes().decode("ascii")
    except UnicodeDecodeError as e:
        raise CorruptModelFile(f"byte {e.start:,} is not text") from e
    if not text.startswith("tree\nversion="):
        raise CorruptModelFile("does not start with a LightGBM text model header")
    start = text.find("\nTree=0\n") + 1
    if start <= 0:
        raise CorruptModelFile("no trees")
    header = _pairs(text[:start])
    try:
        sizes = [int(s) for s in header["tree_sizes"].split()]
        n_features = int(header["max_feature_idx"]) + 1
    except (KeyError, ValueError) as e:
        raise CorruptModelFile(f"header: bad or missing {e}") from e
    if len(header.get("feature_names", "").split()) != n_features:
        raise CorruptModelFile("header: feature_names do not match max_feature_idx")
    pos = start
    for i, size in enumerate(sizes):
        block = text[pos : pos + size]
        if not block.startswith(f"Tree={i}\n") or not block.endswith("\n\n"):
            raise CorruptModelFile(f"tree {i}: not where tree_sizes puts it (byte {pos:,})")
        _check_tree(i, _pairs(block), n_features)
        pos += size
    if not text.startswith("end of trees\n", pos):
        raise CorruptModelFile(f"no 'end of trees' after the {len(sizes)} trees (byte {pos:,})")
    _check_parameters(text[pos:])
    return len(sizes)


def _check_parameters(trailer: str) -> None:
    """The `parameters:` block LightGBM reads back: `[name: value]` lines, then its end."""
    lines = trailer.splitlines()
    if "parameters:" not in lines:
        return
    first = lines.index("parameters:") + 1
    if "end of parameters" not in lines[first:]:
        raise CorruptModelFile("parameters: no 'end of parameters'")
    for line in lines[first : lines.index("end of parameters", first)]:
        if line and not _PARAMETER.fullmatch(line):
            raise CorruptModelFile(f"parameters: malformed line {line[:40]!r}")


def _pairs(block: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def _numbers(tree: dict[str, str], key: str, i: int, length: int, kind=float) -> list:
    try:
        values = [kind(v) for v in tree[key].split()]
    except (KeyError, ValueError) as e:
        raise CorruptModelFile(f"tree {i}: {key} missing or not numbers") from e
    if len(values) != length:
        raise CorruptModelFile(f"tree {i}: {key} has {len(values)} values, expected {length}")
    return values


def _check_tree(i: int, tree: dict[str, str], n_features: int) -> None:
    try:
        leaves, cats = int(tree["num_leaves"]), int(tree.get("num_cat", "0"))
    except (KeyError, ValueError) as e:
        raise CorruptModelFile(f"tree {i}: num_leaves or num_cat missing or not a number") from e
    if leaves < 1 or cats < 0:
        raise CorruptModelFile(f"tree {i}: num_leaves={leaves}, num_cat={cats}")
    _numbers(tree, "shrinkage", i, 1)
    _numbers(tree, "is_linear", i, 1, int)
    for k in _PER_LEAF:
        if k in tree or k == "leaf_value":
            _numbers(tree, k, i, leaves)
    if leaves == 1:
        return
    arrays = {k: _numbers(tree, k, i, leaves - 1) for k in _PER_SPLIT}
    if not all(0 <= f < n_features for f in arrays["split_feature"]):
        raise CorruptModelFile(f"tree {i}: split_feature out of range")
    if not all(-leaves <= c < leaves - 1 for k in ("left_child", "right_child") for c in arrays[k]):
        raise CorruptModelFile(f"tree {i}: a child index is out of range")
    if cats:
        bounds = _numbers(tree, "cat_boundaries", i, cats + 1, int)
        _numbers(tree, "cat_threshold", i, bounds[-1], int)
