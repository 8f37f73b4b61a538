"""The operators' data contract document is rendered from the schema and kept up to date."""

from pathlib import Path

from typer.testing import CliRunner

from features.contract.cli import app
from features.contract.doc import render_contract
from features.contract.schema import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def test_the_committed_document_is_what_the_schema_renders():
    assert DOC.read_text() == render_contract(), "run: retain contract-doc"


def test_every_table_and_column_is_documented_with_its_source(tmp_path):
    result = CliRunner().invoke(app, ["contract-doc", "--out", str(tmp_path / "contract.md")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "contract.md").read_text()
    for name, table in TABLES.items():
        assert f"## `{name}` ({'required' if table.required else 'optional'})" in text
        assert all(f"| `{c}` |" in text for c in table.names)
    assert "Asia/Ho_Chi_Minh" in text and "**Typical source:**" in text
