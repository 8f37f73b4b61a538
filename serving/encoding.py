"""Feature vectors to the float matrix a booster takes, in its feature order.

Categorical features are encoded exactly as LightGBM encodes a pandas category column (the
model file stores each column's training categories; unseen values become missing), but
straight into one float matrix: that keeps a one-subscriber answer well under a millisecond
and gives the batch job the same numbers bit for bit. A matrix already encoded for another
booster (`known`) lends the columns the two share with the same categories, so the churn,
value and hazard boosters of one call encode each column once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.artefacts.btyd import btyd_columns
from serving.registry import PinnedModel

# Below this many rows a Python dict lookup beats building a pandas Categorical.
_SMALL = 512


@functools.cache
def encoder(booster: lgb.Booster) -> tuple[tuple[str, ...], dict[str, dict[Any, float]]]:
    """Feature order and, per categorical column, the value -> code map stored in the model."""
    names = tuple(booster.feature_name())
    cats = booster.pandas_categorical or []
    cat_cols = [n for n in names if n in categorical_names()]
    if len(cats) != len(cat_cols):
        raise ValueError(
            f"model: {len(cats)} stored category lists for {len(cat_cols)} categorical features"
        )
    return names, {
        c: {v: float(i) for i, v in enumerate(cs)} for c, cs in zip(cat_cols, cats, strict=True)
    }


@functools.cache
def categorical_names() -> frozenset[str]:
    from features.definitions import CATEGORICAL

    return frozenset(CATEGORICAL)


def encode(
    columns: Mapping[str, Any],
    booster: lgb.Booster,
    known: tuple[np.ndarray, lgb.Booster] | None = None,
) -> np.ndarray:
    """The float matrix `booster` takes, in its feature order; columns of `known` (a matrix
    and the booster it was encoded for) are copied where they mean the same."""
    names, maps = encoder(booster)
    n = len(columns["subscriber_id"])
    # Column-major: each column is written contiguously, and LightGBM (>= 4) reads a
    # Fortran-ordered matrix as it is (`_np2d_to_np1d`: no copy, the same predictions bit
    # for bit), so the matrix is never transposed; a row-major copy cost as much as the
    # churn booster's own predict on the batch.
    X = np.empty((n, len(names)), dtype=np.float64, order="F")
    todo = list(range(len(names)))
    if known is not None:
        known_names, known_maps = encoder(known[1])
        where = {name: j for j, name in enumerate(known_names)}
        pairs = [(j, where[name]) for j, name in enumerate(names)
                 if name in where and maps.get(name) == known_maps.get(name)]  # fmt: skip
        if pairs:
            dst, src = (list(t) for t in zip(*pairs, strict=True))
            if dst == list(range(len(dst))) and src == dst:  # a shared prefix: one block
                X[:, : len(dst)] = known[0][:, : len(dst)]
            else:
                X[:, dst] = known[0][:, src]
            done = set(dst)
            todo = [j for j in todo if j not in done]
    for j in todo:
        name = names[j]
        col = columns[name]
        if name in maps:
            X[:, j] = (
                _codes(col, maps[name])
                if n > _SMALL
                else [maps[name].get(v, np.nan) if _is_value(v) else np.nan for v in col]
            )
        else:
            X[:, j] = (
                np.asarray(col, dtype=np.float64)
                if n > _SMALL
                else [np.nan if v is None else v for v in col]
            )
    return X


def _codes(column, codes: dict[Any, float]) -> np.ndarray:
    """The model's code of each value (NaN for a missing or unseen one): the distinct values
    are factorised once and looked up in the model's categories, which costs a fraction of
    building a `pd.Categorical` with those categories (and keeps unseen values legal)."""
    index, distinct = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    lookup = pd.Index(list(codes)).get_indexer(distinct).astype(np.float64)
    lookup[lookup < 0] = np.nan
    return np.append(lookup, np.nan)[index]  # index -1 (missing) takes the last: NaN


def model_inputs(columns: Mapping[str, Any], model: PinnedModel) -> Mapping[str, Any]:
    """The columns `model`'s booster reads: the feature vector, and for a value model fitted
    with BTYD forecasts (`features.artefacts.btyd`) those forecasts too."""
    if model.btyd is None:
        return columns
    return dict(columns.items()) | btyd_columns(columns, model.btyd)


def _is_value(v) -> bool:
    return v is not None and v is not pd.NA and not (isinstance(v, float) and v != v)
