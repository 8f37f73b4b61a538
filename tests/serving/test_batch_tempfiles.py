"""The batch job's temporaries: a run removes those a killed run left in its output folder,
and only those; it leaves none of its own, finished or failed; it never sweeps a live run's.
(The real SIGKILL is in tests/reliability/test_faults.py.)"""

import logging

import pytest

from serving.batch.chunks import BatchConfig, score_frame
from serving.batch.outputs import FolderBusy, sweep_temporaries

STALE = (
    ".scores.parquet.k2j4_8az.tmp",  # mkstemp's eight random characters
    ".rejects.parquet.0a1b2c3d.tmp",
    ".campaign.parquet.zz_zz_zz.tmp",
    ".vectors.parquet.q9w8e7r6.tmp",
    ".campaign.csv.tmp",  # the fixed names of earlier versions
    ".report.html.tmp",
    ".reconciliation.json.tmp",
)
KEPT = (
    "scores.parquet",  # an earlier run's output
    "notes.tmp",  # the user's
    ".notes.tmp",
    ".scores.parquet.tmp.keep",
    ".scores.parquet.old.tmp",  # not mkstemp's shape
    ".scores.parquet.K2J4X8AZ.tmp",
    ".features.parquet.k2j4x8az.tmp",  # not an output of the job
    "scores.parquet.k2j4x8az.tmp",  # not hidden
)


def _plant(folder, names) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"PAR1")


def test_sweep_removes_only_the_temporaries_of_the_jobs_outputs(tmp_path):
    _plant(tmp_path, STALE + KEPT)
    (tmp_path / ".report.html.abcdefgh.tmp").mkdir()  # a folder, not a temporary file
    assert sweep_temporaries(tmp_path) == len(STALE)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        KEPT + (".report.html.abcdefgh.tmp",)
    )
    assert sweep_temporaries(tmp_path) == 0


def test_a_run_sweeps_what_a_killed_run_left_and_leaves_no_temporary(
    tiny_models, tiny_vectors, tmp_path, caplog
):
    out = tmp_path / "scores"
    _plant(out, STALE + ("notes.tmp",))
    with caplog.at_level(logging.INFO, logger="serving.batch.outputs"):
        score_frame(tiny_vectors.head(50), tiny_models, out, BatchConfig(chunk_rows=20))
    assert f"removed {len(STALE)} stale temporary file(s)" in caplog.text
    names = {p.name for p in out.iterdir()}
    assert {n for n in names if n.endswith(".tmp")} == {"notes.tmp"}  # the user's only
    assert {"scores.parquet", "rejects.parquet", "reconciliation.json", "report.html"} <= names


def test_a_run_failing_midway_leaves_neither_output_nor_temporary(
    tiny_models, tiny_vectors, tmp_path
):
    def fail(rows: int) -> None:
        raise KeyboardInterrupt  # as an operator's Ctrl-C after the first chunk

    out = tmp_path / "scores"
    with pytest.raises(KeyboardInterrupt):
        score_frame(tiny_vectors.head(50), tiny_models, out, BatchConfig(chunk_rows=20), fail)
    assert list(out.iterdir()) == []


def test_a_second_job_into_a_folder_being_written_is_refused_and_sweeps_nothing(
    tiny_models, tiny_vectors, tmp_path
):
    """The live job is another process holding the folder's lock (within one process the
    lock is re-entrant: `retain score` takes it before its snapshot, scoring takes it again)."""
    import subprocess
    import sys

    out = tmp_path / "scores"
    _plant(out, STALE[:1])  # the live job's temporary
    hold = (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); "
        "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(120)"
    )
    live = subprocess.Popen(
        [sys.executable, "-c", hold, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert live.stdout.readline().strip() == "locked"
        with pytest.raises(FolderBusy, match=r"scores: another batch job is writing there"):
            score_frame(tiny_vectors.head(50), tiny_models, out, BatchConfig(chunk_rows=20))
    finally:
        live.kill()
        live.wait()
    assert [p.name for p in out.iterdir()] == [STALE[0]]
