"""The value model starts from the BTYD forecast (a base margin, log link): with no room to
learn it answers BG/NBD + Gamma-Gamma itself, the logged booster and its `btyd.json` give
serving the same numbers, and a link the margin cannot live on is refused by name."""

from dataclasses import replace
from datetime import date

import lightgbm as lgb
import numpy as np
import pytest

from features.artefacts.btyd import BTYDParams, btyd_columns, value_prediction
from features.training_set import build_training_set
from tests.conftest import TINY_TRAIN
from training.config import ValueConfig
from training.models import ValueModel

CUTOFFS = (date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1))


@pytest.fixture(scope="module")
def frames(tiny_raw):
    frame, _ = build_training_set(tiny_raw, list(CUTOFFS), TINY_TRAIN.snapshot)
    y = TINY_TRAIN.snapshot.value_label
    train = frame[frame["as_of"] < CUTOFFS[-1]]
    valid = frame[frame["as_of"] == CUTOFFS[-1]]
    return train, train[y], valid, valid[y]


def test_without_room_to_learn_the_model_is_btyd(frames):
    train, y, valid, y_val = frames
    frozen = ValueConfig(learning_rate=1e-9, max_rounds=3, early_stopping_rounds=3)
    model = ValueModel(config=frozen, horizon_days=90).fit(train, y, valid, y_val)
    assert model.btyd_.base_margin
    btyd = btyd_columns(valid, model.btyd_)["btyd_value_vnd_h"]
    expected = np.maximum(btyd, 1.0)  # the 1 VND floor of the log
    assert model.predict(valid) == pytest.approx(expected, rel=1e-6)


def test_the_logged_booster_and_params_answer_what_training_measured(frames):
    train, y, valid, y_val = frames
    model = ValueModel(horizon_days=90).fit(train, y, valid, y_val)
    # what serving loads: the booster's text and btyd.json
    booster = lgb.Booster(model_str=model.booster_.model_to_string())
    params = BTYDParams.from_json(model.btyd_.to_json())
    assert params == model.btyd_ and params.base_margin
    served = value_prediction(booster, model.input_frame(valid), valid, params)
    assert served == pytest.approx(model.predict(valid), rel=1e-9)
    # the trees correct BTYD: the answer is not the booster's own prediction
    assert not np.allclose(served, booster.predict(model.input_frame(valid)))
    # the margin sets the level: the total is within a factor of the actual one
    assert 0.5 < served.sum() / y_val.sum() < 2.0


def test_features_only_is_still_available(frames):
    train, y, valid, y_val = frames
    cfg = ValueConfig(btyd_base_margin=False)
    model = ValueModel(config=cfg, horizon_days=90).fit(train, y, valid, y_val)
    assert not model.btyd_.base_margin
    assert model.predict(valid) == pytest.approx(model.booster_.predict(model.input_frame(valid)))


def test_a_base_margin_needs_a_log_link(frames):
    train, y, valid, y_val = frames
    cfg = replace(ValueConfig(), objective="regression")
    with pytest.raises(ValueError, match="value.btyd_base_margin: needs a log-link objective"):
        ValueModel(config=cfg).fit(train, y, valid, y_val)


def test_old_params_files_have_no_base_margin():
    text = '{"r": 0.2, "alpha": 4, "a": 0.8, "b": 2.4, "p": 6, "q": 3.7, "gamma": 15, ' \
        '"horizon_days": 90}'  # fmt: skip
    assert BTYDParams.from_json(text).base_margin is False
