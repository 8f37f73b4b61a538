"""Model files are checksummed at registration and verified before serving parses them: a
changed digit that keeps a LightGBM file's structure valid (and so loads silently) is
refused by name; a version registered before checksums loads with a warning."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from dataclasses import replace
from pathlib import Path

import lightgbm as lgb
import mlflow
import pytest
from mlflow import MlflowClient

from serving.model_file import check_model_text
from serving.registry import ModelLoadError, load_models

HEX = r"[0-9a-f]{64}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _download(settings, name: str, version: str, dest: Path) -> Path:
    return Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{version}",
            dst_path=str(dest),
            tracking_uri=settings.tracking_uri,
        )
    )


def _register_copy(settings, tmp_path, name, alias, change=None, tags=None) -> tuple[str, Path]:
    """Register a copy of `name`'s champion files, changed by `change(folder)`, with the
    champion's tags changed by `tags(dict)`, under `alias`; the other models' aliases
    follow their champions. Return the new version and the copy's folder."""
    client = MlflowClient(settings.tracking_uri)
    mv = client.get_model_version_by_alias(name, settings.alias)
    files = tmp_path / f"{alias}-files"
    shutil.copytree(_download(settings, name, mv.version, tmp_path / f"{alias}-download"), files)
    if change:
        change(files)
    new_tags = tags(dict(mv.tags)) if tags else dict(mv.tags)
    new = client.create_model_version(name, str(files), tags=new_tags)
    client.set_registered_model_alias(name, alias, new.version)
    for other in (settings.churn_model, settings.value_model):
        if other != name:
            champion = client.get_model_version_by_alias(other, settings.alias)
            client.set_registered_model_alias(other, alias, champion.version)
    return str(new.version), files


def change_leaf_digit(path: Path) -> None:
    """Change the leading digit of the first tree's first leaf value: same bytes, same
    structure, another model."""
    text = path.read_bytes().decode("ascii")
    start = text.index("\nleaf_value=") + len("\nleaf_value=")
    i = re.compile(r"[1-9]").search(text, start).start()
    path.write_bytes((text[:i] + str(int(text[i]) % 9 + 1) + text[i + 1 :]).encode("ascii"))


def change_calibration_digit(path: Path) -> None:
    text = path.read_text()
    i = re.compile(r"[1-9]").search(text, text.index('"y"')).start()
    path.write_text(text[:i] + str(int(text[i]) % 9 + 1) + text[i + 1 :])


def test_registration_records_every_model_file_and_loads(tiny_trained, tmp_path, caplog):
    settings, result = tiny_trained
    client = MlflowClient(settings.tracking_uri)
    for name, version, files in (
        (
            settings.churn_model,
            result.churn_version,
            {"model.lgb", "extra_files/calibration.json", "extra_files/survival.txt"},
        ),  # fmt: skip
        (settings.value_model, result.value_version, {"model.lgb", "extra_files/btyd.json"}),
    ):
        digests = json.loads(client.get_model_version(name, version).tags["sha256"])
        assert set(digests) == files
        local = _download(settings, name, version, tmp_path / name)
        assert digests == {f: _sha256(local / f) for f in files}
    with caplog.at_level(logging.WARNING, logger="serving.registry"):
        models = load_models(settings, dest=tmp_path / "m")
    assert models.churn.version == result.churn_version
    assert not [r for r in caplog.records if "sha256" in r.getMessage()]


@pytest.mark.parametrize(
    ("file", "change"),
    [("model.lgb", change_leaf_digit), ("extra_files/calibration.json", change_calibration_digit)],
)
def test_a_changed_digit_is_refused_naming_the_file(tiny_trained, tmp_path, file, change):
    settings, _ = tiny_trained
    alias = "digit-" + file.split("/")[-1].replace(".", "-")
    version, files = _register_copy(
        settings, tmp_path, settings.churn_model, alias, lambda f: change(f / file)
    )
    changed = files / file
    if file == "model.lgb":  # the structure check alone would pass it, and LightGBM serves it
        check_model_text(changed)
        original = lgb.Booster(model_file=str(tmp_path / f"{alias}-download" / file))
        served = lgb.Booster(model_file=str(changed))
        assert served.get_leaf_output(0, 0) != original.get_leaf_output(0, 0)
    expected = json.loads(
        MlflowClient(settings.tracking_uri)
        .get_model_version(settings.churn_model, version)
        .tags["sha256"]
    )[file]
    with pytest.raises(
        ModelLoadError,
        match=rf"retain-churn version {version}: corrupt model file {re.escape(file)}: "
        rf"sha256 {_sha256(changed)}, registered {expected}; register an intact version",
    ):
        load_models(replace(settings, alias=alias), dest=tmp_path / "m")


def test_a_model_file_missing_or_untagged_is_refused(tiny_trained, tmp_path):
    settings, _ = tiny_trained
    calibration = "extra_files/calibration.json"

    def untag(tags):
        digests = json.loads(tags["sha256"])
        del digests[calibration]
        return tags | {"sha256": json.dumps(digests)}

    _register_copy(settings, tmp_path, settings.churn_model, "untagged-file", tags=untag)
    with pytest.raises(
        ModelLoadError, match=rf"corrupt model file {calibration}: not among the registered"
    ):
        load_models(replace(settings, alias="untagged-file"), dest=tmp_path / "m1")

    _register_copy(
        settings,
        tmp_path,
        settings.churn_model,
        "missing-file",
        lambda f: (f / calibration).unlink(),
    )
    with pytest.raises(
        ModelLoadError, match=rf"corrupt model file {calibration}: missing, registered with"
    ):
        load_models(replace(settings, alias="missing-file"), dest=tmp_path / "m2")


def _without_digests(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if k != "sha256"}


def test_a_version_without_digests_loads_with_a_warning(tiny_trained, tmp_path, caplog):
    settings, _ = tiny_trained
    version, _ = _register_copy(
        settings, tmp_path, settings.churn_model, "legacy", tags=_without_digests
    )
    with caplog.at_level(logging.WARNING, logger="serving.registry"):
        models = load_models(replace(settings, alias="legacy"), dest=tmp_path / "m")
    assert models.churn.version == version
    (warning,) = [r for r in caplog.records if r.name == "serving.registry"]
    assert re.search(
        rf"retain-churn version {version} has no sha256 tag.*cannot be checked",
        warning.getMessage(),
    )


def test_structure_is_still_checked_without_digests(tiny_trained, tmp_path, caplog):
    """A garbled file in an old, untagged version is refused by the structure check (with a
    tag, the checksum refuses it first)."""
    settings, _ = tiny_trained

    def garble(folder):
        (lgb_file,) = folder.rglob("*.lgb")
        text = lgb_file.read_text()
        lgb_file.write_text(text[: len(text) // 3] + "\nTree=0\nnum_leaves=banana\n")

    _register_copy(
        settings, tmp_path, settings.churn_model, "legacy-garbled", garble, _without_digests
    )
    garbled = r"corrupt model file model\.lgb: (?!sha256)"  # the structure check's message
    with (
        caplog.at_level(logging.WARNING, logger="serving.registry"),
        pytest.raises(ModelLoadError, match=garbled),
    ):
        load_models(replace(settings, alias="legacy-garbled"), dest=tmp_path / "m")
    assert "cannot be checked" in caplog.text


def test_uplift_digests_cover_every_booster_and_a_changed_one_is_refused(
    tiny_trained, tiny_raw, tmp_path
):
    from training.uplift.learners import UpliftConfig
    from training.uplift.pipeline import UpliftTrainConfig, train_uplift

    settings, _ = tiny_trained
    pinned = replace(settings, alias="checksum-uplift")  # the champion alias stays untouched
    cfg = UpliftTrainConfig(
        model=UpliftConfig(rounds=30, baseline_rounds=30, min_data_in_leaf=20), threads=1
    )
    result = train_uplift(tiny_raw, cfg, pinned)
    client = MlflowClient(settings.tracking_uri)
    client.set_registered_model_alias(settings.uplift_model, pinned.alias, result.version)
    mv = client.get_model_version(settings.uplift_model, result.version)
    digests = json.loads(mv.tags["sha256"])
    local = _download(settings, settings.uplift_model, result.version, tmp_path / "download")
    stored = {p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()}
    assert "uplift.json" in digests and sum(f.endswith(".lgb") for f in digests) >= 2
    assert set(digests) == stored  # the uplift folder holds only model files
    assert digests == {f: _sha256(local / f) for f in digests}
    for name in (settings.churn_model, settings.value_model):
        champion = client.get_model_version_by_alias(name, settings.alias)
        client.set_registered_model_alias(name, pinned.alias, champion.version)
    assert load_models(pinned, dest=tmp_path / "m1").uplift.version == result.version

    booster = sorted(f for f in digests if f.endswith(".lgb"))[-1]
    version, files = _register_copy(
        pinned, tmp_path, settings.uplift_model, "uplift-digit",
        lambda f: change_leaf_digit(f / booster),
    )  # fmt: skip
    check_model_text(files / booster)
    with pytest.raises(
        ModelLoadError,
        match=rf"retain-uplift version {version}: corrupt model file {re.escape(booster)}: "
        rf"sha256 {HEX}, registered {digests[booster]}",
    ):
        load_models(replace(settings, alias="uplift-digit"), dest=tmp_path / "m2")
