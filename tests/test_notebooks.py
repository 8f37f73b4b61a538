"""The notebooks run top to bottom on a small synthetic operator (as CI executes them)."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]-*.py"))


@pytest.fixture(scope="module")
def with_uplift(tiny_raw, tiny_trained):
    """The tiny store with an uplift model pinned too (notebook 03 plans campaigns)."""
    from mlflow import MlflowClient

    from training.uplift.learners import UpliftConfig
    from training.uplift.pipeline import UpliftTrainConfig, train_uplift

    settings, _ = tiny_trained
    cfg = UpliftTrainConfig(model=UpliftConfig(rounds=30, min_data_in_leaf=20), threads=1)
    result = train_uplift(tiny_raw, cfg, settings)
    MlflowClient(settings.tracking_uri).set_registered_model_alias(
        settings.uplift_model, settings.alias, result.version
    )
    return settings


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tiny_raw, with_uplift, monkeypatch, tmp_path):
    settings = with_uplift
    monkeypatch.setenv("RETAIN_RAW", str(tiny_raw))
    monkeypatch.setenv("RETAIN_AS_OF", "2025-07-01")
    monkeypatch.setenv("RETAIN_HOME", str(settings.home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    nb = jupytext.read(path)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"


def test_notebooks_exist_and_are_numbered():
    assert [p.stem for p in NOTEBOOKS] == [
        "01-explore-subscribers",
        "02-model-review",
        "03-campaign-simulation",
    ]
    assert all(os.path.getsize(p) > 0 for p in NOTEBOOKS)
