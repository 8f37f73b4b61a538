"""The batch's one-allocation matrices give the same numbers as encoding each booster's
matrix on its own (`serving.scoring._matrices`, `survival_curves(spare=...)`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.vector import split_valid
from serving.encoding import encode, model_inputs
from serving.scoring import _matrices, survival_curves


def _columns(vectors: pd.DataFrame) -> dict:
    valid, _ = split_valid(vectors)
    # more rows than the one-subscriber path, and an unseen and a missing category
    big = pd.concat([valid] * (1 + 600 // len(valid)), ignore_index=True)
    big.loc[0, "province"] = "Atlantis"
    big.loc[1, "region"] = None
    return {c: big[c].to_numpy() for c in big.columns}


def test_shared_matrix_is_each_boosters_own(tiny_models, tiny_vectors):
    cols = _columns(tiny_vectors)
    X, Xv = _matrices(cols, tiny_models)
    assert X.flags.f_contiguous and Xv.flags.f_contiguous
    own = encode(cols, tiny_models.churn.booster)
    assert np.array_equal(X, own, equal_nan=True)
    own_v = encode(model_inputs(cols, tiny_models.value), tiny_models.value.booster)
    assert np.array_equal(Xv, own_v, equal_nan=True)
    assert np.array_equal(tiny_models.churn.booster.predict(X),
                          tiny_models.churn.booster.predict(np.ascontiguousarray(own)))  # fmt: skip


def test_survival_over_the_spare_matrix_equals_a_fresh_one(tiny_models, tiny_vectors):
    assert tiny_models.churn.survival is not None
    cols = _columns(tiny_vectors)
    X, Xv = _matrices(cols, tiny_models)
    fresh = survival_curves(cols, tiny_models, X)
    before = X.copy()
    k = X.shape[1]
    assert np.unique(Xv[:, k]).size > 1  # the value booster's first own input (BTYD)
    reused = survival_curves(cols, tiny_models, X, spare=Xv)
    assert np.unique(Xv[:, k]).size == 1  # written over: a month, so no matrix was allocated
    assert np.array_equal(fresh, reused)
    assert np.array_equal(X, before, equal_nan=True)  # the churn columns are left as they were
