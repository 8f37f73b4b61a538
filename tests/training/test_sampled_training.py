"""Training on the weighted sample is unbiased: the sampled models' mean churn probability
and total value on the test snapshot match the full-data models' within sampling error.

The sampling error is measured, not assumed: K samples drawn with different seeds give K
sampled models; the spread of their figures is the standard deviation s of one sampled
model's figure. Unbiasedness is then a two-sided t-test at the 1% level: the mean of the K
figures lies within t(0.995, K-1) * s / sqrt(K) of the full-data model's, and the seed-7
model within the prediction interval t(0.995, K-1) * s * sqrt(1 + 1/K).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import t as student_t

from features.sampling import SampleConfig
from features.training_set import sample_training_set, write_training_snapshots
from tests.conftest import TINY_TRAIN
from training.fold import fit_churn, fit_value

K = 4
ROWS = 700  # of ~1,050 per snapshot: churners and top tiers (~300) whole, 400 of ~760 others
CFG = replace(TINY_TRAIN, sample=SampleConfig(rows=ROWS))


@pytest.fixture(scope="module")
def files(tiny_raw, tmp_path_factory):
    return write_training_snapshots(tiny_raw, CFG.cutoffs, tmp_path_factory.mktemp("snapshots"))


def _frame(files, rows: int, seed: int):
    s = SampleConfig(rows=rows)
    return sample_training_set(files, [], CFG.snapshot, s, CFG.segments.large_vnd, seed).frame


def _figures(frame, test) -> dict[str, float]:
    """Mean calibrated churn probability (what Retain answers), the raw booster's mean, and
    the total predicted value, all on the same whole test snapshot."""
    c = fit_churn(frame, CFG.validation_as_of, CFG.test_as_of, CFG)
    v = fit_value(frame, CFG.validation_as_of, CFG.test_as_of, CFG)
    raw = c.model.predict_proba(test)
    return {
        "churn": float(np.mean(c.calibration.apply(raw))),
        "churn_raw": float(np.mean(raw)),
        "value_total": float(np.sum(v.model.predict(test))),
    }


@pytest.fixture(scope="module")
def figures(files):
    full = _frame(files, 0, CFG.seed)
    test = full[full["as_of"] == CFG.test_as_of]
    sampled = [_figures(_frame(files, ROWS, seed), test) for seed in range(1, K + 1)]
    unweighted = []
    for seed in range(1, K + 1):
        frame = _frame(files, ROWS, seed).drop(columns=["sample_weight"])
        c = fit_churn(frame, CFG.validation_as_of, CFG.test_as_of, CFG)
        unweighted.append(float(np.mean(c.model.predict_proba(test))))
    seven = _figures(_frame(files, ROWS, CFG.seed), test)
    return _figures(full, test), sampled, seven, unweighted


@pytest.mark.parametrize("figure", ["churn", "value_total"])
def test_sampled_models_match_the_full_data_model_within_sampling_error(figures, figure):
    full, sampled, seven, _ = figures
    values = np.array([s[figure] for s in sampled])
    sd = values.std(ddof=1)
    assert sd > 0  # the samples differ, so the spread measures something
    t = student_t.ppf(0.995, K - 1)
    assert abs(values.mean() - full[figure]) <= t * sd / np.sqrt(K), (values, full[figure])
    assert abs(seven[figure] - full[figure]) <= t * sd * np.sqrt(1 + 1 / K), (seven, full)


def test_the_weights_are_what_removes_the_bias(figures):
    """Without `sample_weight` the booster learns the sample's churn rate, which the kept
    churners inflate: its mean probability is farther from the full-data model's."""
    full, sampled, _, unweighted = figures
    weighted = np.mean([s["churn_raw"] for s in sampled])
    assert abs(weighted - full["churn_raw"]) < abs(np.mean(unweighted) - full["churn_raw"])
    assert np.mean(unweighted) > weighted


def test_sample_rows_from_the_toml_and_the_command_line(tmp_path, capsys):
    from features.cli import main
    from training.config import TrainConfig

    toml = tmp_path / "experiment.toml"
    toml.write_text("[sample]\nrows = 5000\n")
    cfg = TrainConfig.from_toml(toml)
    assert cfg.sample == SampleConfig(rows=5000) and cfg.flat()["sample.rows"] == 5000
    toml.write_text("[sample]\nshare = 0.1\n")
    with pytest.raises(ValueError, match=r"\[sample\]: unknown setting 'share'"):
        TrainConfig.from_toml(toml)
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--raw", str(tmp_path), "--sample-rows", "50"])
    assert exit_.value.code == 2
    err = " ".join(capsys.readouterr().err.replace("│", " ").split())  # rich's box, unwrapped
    assert "--sample-rows" in err and "sample.rows: need 0 (whole base) or at least 100" in err
