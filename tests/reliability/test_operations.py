"""Probes of the commands (issue 15, items 2, 3, 4 and 9): ordinary command-line mistakes are
refused before a byte is written, with one message, and every file stays as it was."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from features.cli import main  # noqa: F401 - the root app, with every command
from features.contract.cli import app as contract_app
from serving.cli import app as serving_app
from serving.online_store import open_store, write_sqlite
from tests.conftest import TINY_SCORE_AS_OF
from tests.micro_extract import END
from tests.reliability.bad_inputs import CSV_HEADER, tables, write

ROOT = Path(__file__).resolve().parents[2]


def digest(root: Path) -> dict[str, str]:
    """Every file under `root` (or `root` itself) and the SHA-256 of its bytes."""
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def clean(raw: Path, out: Path):
    args = ["clean", "--raw", str(raw), "--out", str(out), "--data-end", END.isoformat()]
    return CliRunner().invoke(contract_app, args)


def score(settings, *args):
    env = {"RETAIN_HOME": str(settings.home), "MLFLOW_TRACKING_URI": settings.tracking_uri}
    return CliRunner().invoke(serving_app, ["score", *args], env=env)


def one_error(r, *fragments: str) -> None:
    """Exit 2 with one `error:` message holding `fragments`, no traceback."""
    assert r.exit_code == 2, r.output
    lines = [line for line in r.output.splitlines() if "error" in line.lower()]
    assert len(lines) == 1 and lines[0].strip().startswith("error: "), repr(r.output)
    assert "Traceback" not in r.output
    for f in fragments:
        assert f in r.output, r.output


@pytest.fixture
def micro_raw(tmp_path) -> Path:
    return write(tmp_path / "x" / "raw", tables())


def test_probe_2a_clean_out_is_the_parent_of_raw_and_is_refused(micro_raw):
    before = digest(micro_raw.parent)
    one_error(clean(micro_raw, micro_raw.parent), "contains the input")
    assert digest(micro_raw.parent) == before


def test_probe_2b_clean_out_equal_to_raw_is_refused(micro_raw):
    before = digest(micro_raw)
    one_error(clean(micro_raw, micro_raw), "is the input")
    assert digest(micro_raw) == before


def test_probe_2c_clean_out_inside_raw_is_refused(micro_raw):
    before = digest(micro_raw)
    one_error(clean(micro_raw, micro_raw / "clean"), "is inside the input")
    assert digest(micro_raw) == before


def test_probe_2d_clean_out_holding_other_files_is_refused(micro_raw, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "budget.xlsx").write_bytes(b"not ours")
    one_error(clean(micro_raw, out), "did not write (budget.xlsx)")
    assert (out / "budget.xlsx").read_bytes() == b"not ours"
    ok = clean(micro_raw, tmp_path / "clean")
    assert ok.exit_code == 0, ok.output
    again = clean(micro_raw, tmp_path / "clean")  # its own output: replaced as a whole
    assert again.exit_code == 0, again.output


OUTSIDE = [("2030-01-01", "after the data's end"), ("2009-01-01", "not after the data's first day")]


@pytest.mark.parametrize(("as_of", "what"), OUTSIDE)
def test_probe_3_score_as_of_outside_the_data_is_refused_and_the_store_kept(
    tiny_trained, tiny_raw, tmp_path, as_of, what
):
    settings, _ = tiny_trained
    store = tmp_path / "online.sqlite"
    write_sqlite(store, [], "fs-test", TINY_SCORE_AS_OF)
    before = digest(store)
    r = score(settings, "--as-of", as_of, "--raw", str(tiny_raw), "--out", str(tmp_path / "s"),
              "--online-store", f"sqlite:///{store}")  # fmt: skip
    one_error(r, what, "covers 20")
    assert digest(store) == before and open_store(f"sqlite:///{store}").as_of == TINY_SCORE_AS_OF
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_probe_4_a_second_score_on_a_busy_folder_is_refused_before_writing(
    tiny_trained, tiny_raw, tmp_path
):
    settings, _ = tiny_trained
    out = tmp_path / "scores"
    out.mkdir()
    (out / "vectors.parquet").write_bytes(b"the first run's snapshot")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], "
         "os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); "
         "time.sleep(120)", str(out)], stdout=subprocess.PIPE)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == b"locked"
        r = score(settings, "--as-of", TINY_SCORE_AS_OF.isoformat(), "--raw", str(tiny_raw),
                  "--out", str(out), "--no-materialise", "--no-validate")  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    one_error(r, "another batch job is writing there")
    assert (out / "vectors.parquet").read_bytes() == b"the first run's snapshot"


def test_probe_4b_score_out_holding_other_files_or_the_raw_is_refused(
    tiny_trained, tiny_raw, tmp_path
):
    settings, _ = tiny_trained
    out = tmp_path / "scores"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    base = ["--as-of", TINY_SCORE_AS_OF.isoformat(), "--no-materialise"]
    one_error(score(settings, *base, "--raw", str(tiny_raw), "--out", str(out)), "notes.txt")
    before = digest(tiny_raw)
    one_error(score(settings, *base, "--raw", str(tiny_raw), "--out", str(tiny_raw.parent)),
              "contains the input")  # fmt: skip
    assert digest(tiny_raw) == before


def test_probe_9e_validate_accepts_the_csv_folder_clean_accepts(tmp_path):
    raw = write(tmp_path / "raw", tables())
    rows = raw / "recharges" / "part-00000.parquet"
    import pyarrow.parquet as pq

    frame = pq.read_table(rows).to_pandas()
    rows.unlink()
    text = CSV_HEADER + "".join(
        f"{r.subscriber_id},{r.ts:%Y-%m-%d %H:%M:%S},{r.amount_vnd},{r.channel}\n"
        for r in frame.itertuples()
    )
    (raw / "recharges" / "recharges.csv").write_text(text)
    cleaned = clean(raw, tmp_path / "clean")
    assert cleaned.exit_code == 0, cleaned.output
    v = CliRunner().invoke(contract_app, ["validate", "--raw", str(raw), "--data-end",
                                          END.isoformat()])  # fmt: skip
    assert v.exit_code == 0, v.output
    assert "recharges" in v.output and "valid:" in v.output


def test_probe_9f_unwritable_outputs_and_a_missing_vectors_file_are_one_message(
    tiny_trained, micro_raw, tmp_path
):
    settings, _ = tiny_trained
    read_only = Path("/proc/retain-probe/clean")  # procfs: no folder can be made there
    one_error(clean(micro_raw, read_only), "cannot write")
    r = score(settings, "--as-of", TINY_SCORE_AS_OF.isoformat(), "--vectors",
              str(tmp_path / "missing.parquet"), "--out", str(tmp_path / "s"))  # fmt: skip
    one_error(r, "missing.parquet: no such file")


def test_probe_9g_serve_refuses_a_port_outside_1_to_65535():
    r = CliRunner().invoke(serving_app, ["serve", "--port", "99999"])
    assert r.exit_code == 2 and "--port" in r.output and "65535" in r.output, r.output


def test_snapshot_refuses_out_inside_raw_and_a_date_past_the_data(micro_raw):
    from features.cli import app

    r = CliRunner().invoke(app, ["snapshot", "--as-of", "2025-02-01", "--raw", str(micro_raw),
                                 "--out", str(micro_raw / "s.parquet")])  # fmt: skip
    one_error(r, "inside the input")
    r = CliRunner().invoke(app, ["snapshot", "--as-of", "2031-01-01", "--raw", str(micro_raw),
                                 "--out", str(micro_raw.parent / "s.parquet")])  # fmt: skip
    one_error(r, "after the data's end")
    assert date(2031, 1, 1) > END
    shutil.rmtree(micro_raw.parent / "s.parquet", ignore_errors=True)
