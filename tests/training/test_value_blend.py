"""The value model's building blocks for public benchmarks: the anchored booster learns a
multiplicative correction to its prior, and the stack learns non-negative blend weights."""

import numpy as np
import pandas as pd
import pytest

from training.anchored import AnchoredValueModel
from training.stacked import StackedForecast


def _forecasts(n: int = 4000, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.gamma(2.0, 10.0, n)
    b = rng.gamma(2.0, 10.0, n)
    noise = rng.gamma(2.0, 10.0, n)  # unrelated to y: its weight must be zero
    y = 0.7 * a + 0.3 * b + rng.normal(0, 1.0, n)
    return pd.DataFrame({"a": a, "b": b, "noise": noise}), y


def test_stack_recovers_the_weights_and_drops_a_useless_forecast():
    X, y = _forecasts()
    stack = StackedForecast(balance=False).fit(X, y)
    assert stack.balance_factor_ == 1.0
    assert stack.weights_["a"] == pytest.approx(0.7, abs=0.01)
    assert stack.weights_["b"] == pytest.approx(0.3, abs=0.01)
    assert stack.weights_["noise"] < 0.01
    assert np.sqrt(np.mean((stack.predict(X) - y) ** 2)) < 1.1


def test_balanced_stack_matches_the_actual_total_and_keeps_the_ranking():
    X, y = _forecasts()
    # Least squares on a skewed target misses the total: one heavy spender pulls the fit.
    y = y.copy()
    y[0] += 50_000.0
    plain = StackedForecast(balance=False).fit(X, y)
    assert abs(plain.predict(X).sum() / y.sum() - 1) > 0.01
    balanced = StackedForecast().fit(X, y)
    assert balanced.predict(X).sum() == pytest.approx(y.sum(), rel=1e-9)
    assert balanced.balance_factor_ == pytest.approx(y.sum() / plain.predict(X).sum())
    assert np.array_equal(np.argsort(balanced.predict(X)), np.argsort(plain.predict(X)))


def test_stack_never_gives_a_negative_weight():
    X, y = _forecasts()
    X["against"] = y.max() - y  # anti-correlated: least squares without bounds would use it
    stack = StackedForecast().fit(X, y)
    assert min(stack.weights_.values()) >= 0.0
    assert stack.weights_["against"] == 0.0


def test_stack_names_the_bad_forecast():
    X, y = _forecasts(n=50)
    stack = StackedForecast().fit(X, y)
    with pytest.raises(KeyError, match="b: forecast column missing"):
        stack.predict(X.drop(columns=["b"]))
    bad = X.copy()
    bad.loc[3, "noise"] = -1.0
    with pytest.raises(ValueError, match="noise: forecasts must be finite and non-negative"):
        StackedForecast().fit(bad, y)
    with pytest.raises(ValueError, match="y: 49 rows, forecasts: 50 rows"):
        StackedForecast().fit(X, y[:-1])


def test_anchored_model_learns_where_the_prior_is_wrong():
    rng = np.random.default_rng(5)
    n = 6000
    prior = rng.gamma(2.0, 5.0, n)
    loyal = rng.integers(0, 2, n)  # the prior does not know: loyal customers spend twice as much
    y = rng.poisson(prior * np.where(loyal == 1, 2.0, 1.0)).astype(float)
    X = pd.DataFrame({"prior": prior, "loyal": loyal})
    model = AnchoredValueModel(offset_column="prior", rounds=200, seed=1).fit(X, y)
    ratio = model.predict(X) / prior
    assert np.median(ratio[loyal == 1]) == pytest.approx(2.0, rel=0.15)
    assert np.median(ratio[loyal == 0]) == pytest.approx(1.0, rel=0.15)


def test_anchored_model_refuses_a_negative_prior():
    X = pd.DataFrame({"prior": [1.0, -2.0], "z": [0, 1]})
    with pytest.raises(ValueError, match="prior: prior must be finite and non-negative"):
        AnchoredValueModel(offset_column="prior").fit(X, [1.0, 2.0])
