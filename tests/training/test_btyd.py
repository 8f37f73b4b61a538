"""BTYD as `retain train` fits it: parameter recovery on the published CDNOW sample, and the
forecasts' closed forms against literal cases."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.artefacts.btyd import BTYDParams, btyd_columns, expected_purchases, p_alive
from training.btyd import BTYDModel, fit_bgnbd, fit_gamma_gamma

# The 2,357-customer CDNOW sample (x, t_x, T in weeks, zbar in dollars) as Fader and Hardie
# publish it, copied from lifetimes' datasets (cdnow_customers_summary_with_transactions.csv).
SAMPLE = Path(__file__).parent / "data" / "cdnow_sample_summary.csv"
SAMPLE_SHA256 = "7ddd11b55be3227edfc1d58675154e96971b0de3ad37ddd9280d1dba154b8b2f"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == SAMPLE_SHA256
    return pd.read_csv(SAMPLE)


def test_bgnbd_recovers_the_published_cdnow_parameters(sample):
    r, alpha, a, b = fit_bgnbd(sample["x"], sample["t_x"], sample["T"])
    # Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426
    assert r == pytest.approx(0.243, abs=0.002)
    assert alpha == pytest.approx(4.414, abs=0.03)
    assert a == pytest.approx(0.793, abs=0.01)
    assert b == pytest.approx(2.426, abs=0.03)


def test_gamma_gamma_recovers_the_published_cdnow_parameters(sample):
    repeat = sample[sample["x"] > 0]
    p, q, g = fit_gamma_gamma(repeat["x"], repeat["zbar"])
    # Fader, Hardie & Lee (2005, "RFM and CLV"): p 6.25, q 3.74, gamma 15.44
    assert p == pytest.approx(6.25, abs=0.05)
    assert q == pytest.approx(3.74, abs=0.05)
    assert g == pytest.approx(15.44, abs=0.2)


PUBLISHED = BTYDParams(0.243, 4.414, 0.793, 2.426, 6.25, 3.74, 15.44, horizon_days=39)


def test_forecasts_match_the_published_closed_forms():
    # A customer with no repeat purchase is alive for certain under BG/NBD.
    assert p_alive(PUBLISHED, 0, 0, 38.86) == pytest.approx(1.0)
    # Fader, Hardie & Lee (2005, fig. 4 worked example): x=2, t_x=30.43, T=38.86, next 39 weeks
    assert expected_purchases(PUBLISHED, 39, 2, 30.43, 38.86) == pytest.approx(1.226, abs=0.01)
    # Longer silence since the last purchase: lower chance alive, fewer purchases.
    assert p_alive(PUBLISHED, 2, 10, 38.86) < p_alive(PUBLISHED, 2, 30, 38.86)


def test_the_model_reads_the_recharge_features():
    rng = np.random.default_rng(5)
    n = 3000
    days = rng.poisson(3.0, n) + 1
    age = rng.uniform(60, 360, n)
    columns = {
        "recharge_days_count_all": days.astype(float),
        "days_since_first_recharge": age,
        "days_since_last_recharge": age * rng.uniform(0, 1, n) * (days > 1),
        "recharge_vnd_sum_all": days * rng.gamma(5.0, 10_000.0, n),
    }
    model = BTYDModel(horizon_days=90).fit(columns)
    out = model.predict(columns)
    assert set(out) == {"btyd_purchases_h", "btyd_p_alive", "btyd_spend_vnd", "btyd_value_vnd_h"}
    assert np.all(np.isfinite(out["btyd_value_vnd_h"])) and np.all(out["btyd_value_vnd_h"] >= 0)
    # the parameters round-trip through the file serving reads
    assert BTYDParams.from_json(model.params_.to_json()) == model.params_
    none = btyd_columns({k: np.array([np.nan]) for k in columns} | {
        "recharge_days_count_all": np.array([0.0])}, model.params_)  # fmt: skip
    assert np.isfinite(none["btyd_value_vnd_h"]).all()
