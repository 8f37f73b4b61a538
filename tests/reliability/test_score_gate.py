"""`retain score` refuses raw tables that fail validation, as `retain train` does, before
anything is scored; `--no-validate` is the explicit way past for a trusted feed."""

from __future__ import annotations

import pyarrow.parquet as pq
from typer.testing import CliRunner

from serving.cli import app
from tests.conftest import TINY_SCORE_AS_OF


def _score(raw, out, settings, *extra):
    env = {"RETAIN_HOME": str(settings.home), "MLFLOW_TRACKING_URI": settings.tracking_uri}
    args = ["score", "--as-of", TINY_SCORE_AS_OF.isoformat(), "--raw", str(raw)]
    args += ["--out", str(out), "--no-materialise", "--no-reasons", *extra]
    return CliRunner().invoke(app, args, env=env)


def test_score_refuses_invalid_raw_tables_and_writes_nothing(
    raw_with_negative_top_up, tiny_trained, tmp_path
):
    settings, _ = tiny_trained
    raw = raw_with_negative_top_up
    out = tmp_path / "scores"
    r = _score(raw, out, settings)
    assert r.exit_code == 2, r.output
    assert "recharges.amount_vnd" in r.output and "negative VND" in r.output
    assert "retain clean" in r.output
    assert not out.exists() or not any(out.iterdir())


def test_no_validate_scores_a_trusted_feed(raw_with_negative_top_up, tiny_trained, tmp_path):
    settings, _ = tiny_trained
    raw = raw_with_negative_top_up
    out = tmp_path / "scores"
    r = _score(raw, out, settings, "--no-validate")
    assert r.exit_code == 0, r.output
    scored = pq.read_table(out / "scores.parquet").num_rows
    assert scored > 0
