"""Survival curves S(1..24) for many rows at once, from the churn model's hazard booster.

The booster takes `months_ahead` = m as one more input (`features.artefacts.survival`), so
the plain way predicts all its trees 24 times per row. But a tree's output changes with m
only where the tree splits on `months_ahead`, and most trees split there at one or two
thresholds (every tree's root splits month 1 from the later ones,
`training.survival.train_first_month_apart`; a model trained on twelve months of data
never splits above month 11). So the trees are grouped by the thresholds they split
`months_ahead` at, and each group is predicted once per month interval of its own (the
first month of the interval stands for all of it): the same trees reach the same leaves,
with far fewer tree walks (270 instead of 24 x 129 on the survival benchmark's model). The
raw scores of the groups are summed and the binary objective's sigmoid applied (its
`sigmoid` setting: the hazard's Platt slope), which equals the booster's own prediction up
to the order of a floating-point sum.

LightGBM has no API to predict an arbitrary subset of trees (only a contiguous range of
iterations), so each group is loaded as its own booster from the model's text, keeping the
header and the group's tree blocks: the format LightGBM itself writes and reads. A booster
whose objective is not a binary one with one tree per iteration is predicted month by
month (`features.artefacts.survival.hazards`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import lightgbm as lgb
import numpy as np

from features.artefacts.survival import (
    MONTHS,
    MONTHS_AHEAD,
    binary_sigmoid,
    hazards,
    survival_from_hazards,
)

_TREE = re.compile(r"(?m)^Tree=\d+\n")


@functools.cache
def _groups(
    booster: lgb.Booster,
) -> tuple[float, list[tuple[lgb.Booster, np.ndarray, np.ndarray]]] | None:
    """(sigmoid, [(group booster, representative months, month -> interval index)]), or
    None when the booster is not one this module can split (see the module docstring)."""
    text = booster.model_to_string()
    sigmoid = binary_sigmoid(text)
    if sigmoid is None or booster.num_model_per_iteration() != 1:
        return None
    head, _, rest = text.partition("\nTree=0\n")
    body, sep, tail = ("Tree=0\n" + rest).partition("end of trees")
    blocks = [b for b in _TREE.split(body)[1:]]
    if len(blocks) != booster.num_trees():
        return None
    # Sequential loading: the sizes of the original trees no longer apply.
    head = re.sub(r"(?m)^tree_sizes=.*\n", "", head)
    month_feature = booster.feature_name().index(MONTHS_AHEAD)
    by_thresholds: dict[tuple[float, ...], list[int]] = {}
    for i, tree in enumerate(booster.dump_model()["tree_info"]):
        found: set[float] = set()
        _month_thresholds(tree["tree_structure"], month_feature, found)
        by_thresholds.setdefault(tuple(sorted(found)), []).append(i)
    months = np.arange(1, MONTHS + 1, dtype=np.float64)
    groups = []
    for thresholds, trees in sorted(by_thresholds.items()):
        # A month goes right of a split when it is above the threshold.
        interval = np.searchsorted(np.asarray(thresholds), months, side="left")
        representatives = np.array([months[interval == k][0] for k in np.unique(interval)])
        rank = np.searchsorted(np.unique(interval), interval)
        model = head + "\n" + "".join(f"Tree={k}\n{blocks[t]}" for k, t in enumerate(trees))
        groups.append((lgb.Booster(model_str=model + sep + tail), representatives, rank))
    return sigmoid, groups


def _month_thresholds(node: Mapping[str, Any], feature: int, found: set[float]) -> None:
    if "split_index" not in node:
        return
    if node["split_feature"] == feature:
        found.add(float(node["threshold"]))
    _month_thresholds(node["left_child"], feature, found)
    _month_thresholds(node["right_child"], feature, found)


def month_hazards(booster: lgb.Booster, X: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """h(m | x) for m = 1..24 (rows x 24); `X` is the booster's float matrix, whose
    `months_ahead` column is overwritten when `overwrite`, else in a copy."""
    column = booster.feature_name().index(MONTHS_AHEAD)
    split = _groups(booster)
    if split is None or not len(X):
        return hazards(booster, X, column)
    sigmoid, groups = split
    if not overwrite:
        X = np.array(X, dtype=np.float64, copy=True)
    raw = np.zeros((X.shape[0], MONTHS))
    for group, representatives, rank in groups:
        outputs = np.empty((X.shape[0], len(representatives)))
        for k, m in enumerate(representatives):
            X[:, column] = m
            outputs[:, k] = group.predict(X, raw_score=True)
        raw += outputs[:, rank]
    return 1.0 / (1.0 + np.exp(-sigmoid * raw))


def curves(booster: lgb.Booster, X: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """S(1..24) per row of the hazard booster's float matrix `X` (see `month_hazards`)."""
    return survival_from_hazards(month_hazards(booster, X, overwrite))
