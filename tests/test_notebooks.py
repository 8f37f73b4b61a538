"""The notebooks run top to bottom on a small synthetic operator (as CI executes them)."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]-*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tiny_raw, tiny_trained, monkeypatch, tmp_path):
    settings, _ = tiny_trained
    monkeypatch.setenv("RETAIN_RAW", str(tiny_raw))
    monkeypatch.setenv("RETAIN_AS_OF", "2025-07-01")
    monkeypatch.setenv("RETAIN_HOME", str(settings.home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.tracking_uri)
    nb = jupytext.read(path)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"


def test_notebooks_exist_and_are_numbered():
    assert [p.stem[:3] for p in NOTEBOOKS][:1] == ["01-"]
    assert all(os.path.getsize(p) > 0 for p in NOTEBOOKS)
