"""Effect scenarios of the synthetic operator: `none` leaves every subscriber's churn
unchanged by any offer, `strong` saves clearly more than `default`, whose output is the
one every other test reads."""

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from features.cli import build_app
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import read_truth
from tests.conftest import TINY


def true_uplift(tmp_path, effect: str):
    truth = tmp_path / effect / "truth"
    generate_operator(replace(TINY, effect=effect), tmp_path / effect / "raw", truth=truth)
    offers = read_truth(truth, "offer_effect")
    base = read_truth(truth, "churn_probability")
    m = offers.merge(base, on=["subscriber_id", "as_of"])
    return m["churn_probability_30d"] - m["churn_probability_30d_treated"]


def test_none_changes_nothing_and_strong_saves_more(tmp_path):
    none, default, strong = (true_uplift(tmp_path, e) for e in ("none", "default", "strong"))
    assert none.abs().max() < 1e-12
    assert default.mean() > 0 and strong.mean() > 1.5 * default.mean()
    assert (strong > 0.01).mean() > 1.5 * (default > 0.01).mean()


def test_unknown_effect_is_refused():
    with pytest.raises(ValueError, match="GeneratorConfig.effect: invalid value 'huge'"):
        GeneratorConfig(effect="huge")


def test_generate_command_takes_the_effect_scenario(tmp_path):
    """`retain generate --effect none` writes the same operator as GeneratorConfig(effect=
    "none"); an unknown scenario is one clear error naming the option."""
    args = ["generate", "--subscribers", "300", "--months", "4", "--seed", "5"]
    raw = tmp_path / "cli" / "raw"
    ok = CliRunner().invoke(build_app(), [*args, "--effect", "none", "--out", str(raw)])
    assert ok.exit_code == 0, ok.output
    config = GeneratorConfig(subscribers=300, months=4, seed=5, effect="none")
    generate_operator(config, tmp_path / "api" / "raw", truth=tmp_path / "api" / "truth")
    cli, api = (read_truth(tmp_path / w / "truth", "offer_effect") for w in ("cli", "api"))
    assert len(cli) > 0 and cli.equals(api)
    base = read_truth(tmp_path / "cli" / "truth", "churn_probability")
    m = cli.merge(base, on=["subscriber_id", "as_of"])
    assert (m["churn_probability_30d"] - m["churn_probability_30d_treated"]).abs().max() < 1e-12
    bad = CliRunner().invoke(build_app(), [*args, "--effect", "huge", "--out", str(raw)])
    assert bad.exit_code == 2
    assert "Invalid value for '--effect'" in bad.output and "'huge' is not one of" in bad.output
    assert "Traceback" not in bad.output
