"""Load the pinned models: resolve the alias once, check the feature schema, load natively.

Only LightGBM's text files (checked intact first, `serving.model_file`) and JSON are read;
nothing on this path unpickles, whatever else a model's folder holds. Before any of them is
read, every model file is checked against the SHA-256 digests training recorded in the
version's `sha256` tag; a version registered before the tag existed loads with a warning."""

from __future__ import annotations

import logging
from pathlib import Path

import lightgbm as lgb
import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from features.artefacts.btyd import BTYDParams
from features.artefacts.calibration import Calibration
from features.artefacts.survival import MarginConfig, load_survival
from features.artefacts.tags import (
    DIGEST_TAG,
    MARGIN_TAG,
    PROMOTION_CHECK_TAG,
    SCHEMA_TAG,
    SNAPSHOT_TAG,
)
from features.artefacts.uplift import UpliftModel
from features.definitions import feature_schema_version
from features.query import SnapshotConfig
from features.settings import Settings
from serving.catalogue import Catalogue
from serving.model_file import (
    ChecksumMismatch,
    CorruptModelFile,
    check_model_text,
    verify_digests,
)
from serving.pinned import ModelLoadError, Models, PinnedModel, PinnedUplift

log = logging.getLogger(__name__)

__all__ = [
    "ModelLoadError",
    "Models",
    "PinnedModel",
    "PinnedUplift",
    "load_models",
    "resolve_versions",
]


def _fetch(
    client: MlflowClient, mv: ModelVersion, name: str, dest: Path | None, retrain: str
) -> Path:
    """Download a resolved version after checking its feature schema, then verify its files'
    digests and that every LightGBM file is intact (before LightGBM's own parser, which
    aborts the process on most damage); the local folder."""
    found, expected = mv.tags.get(SCHEMA_TAG), feature_schema_version()
    if found != expected:
        raise ModelLoadError(
            f"model {name} version {mv.version} was trained on feature schema {found}, this "
            f"code builds {expected}; retrain ({retrain}) or deploy the matching code"
        )
    local = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{mv.version}",
            dst_path=str(Path(dest) / name) if dest else None,
        )
    )
    _verify(name, mv, local)
    for f in sorted(local.rglob("*.lgb")):
        try:
            check_model_text(f)
        except CorruptModelFile as e:
            raise ModelLoadError(
                f"model {name} version {mv.version}: corrupt model file {f.name}: {e}; "
                "register an intact version (retain train) or move the alias back"
            ) from e
    return local


def _missing(client: MlflowClient, name: str, alias: str, kind: str, e: MlflowException) -> str:
    """Why `name@alias` is missing and what to do: a refused challenger is named with the
    checks it failed and the command that forces it."""
    generic = (
        f"model {name}@{alias} not found in the registry ({e.message.splitlines()[0]}); "
        "train and register a model first (retain train), or set RETAIN_MODEL_ALIAS"
    )
    try:
        mv = client.get_model_version_by_alias(name, "challenger")
        why = mv.tags.get(PROMOTION_CHECK_TAG, "")
    except MlflowException:
        why = ""
    if not why.startswith(f"{kind}: refuse"):  # none, or promoted: another alias is missing
        return generic
    return (
        f"model {name}@{alias} not found: training registered version {mv.version} as "
        f"@challenger but did not promote it ({why}); to score with it anyway: retain promote "
        f'{kind} --version {mv.version} --force --reason "..."'
    )


def _version(
    client: MlflowClient, name: str, alias: str, pinned: str | None, kind: str
) -> ModelVersion:
    """The version `pinned` names, else the one `alias` points to now."""
    try:
        if pinned is not None:
            return client.get_model_version(name, pinned)
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as e:
        if pinned is not None:
            raise ModelLoadError(
                f"model {name} version {pinned} not found in the registry "
                f"({e.message.splitlines()[0]}); reload the service (retain reload)"
            ) from e
        raise ModelLoadError(_missing(client, name, alias, kind, e)) from e


def _load(
    client: MlflowClient,
    name: str,
    alias: str,
    dest: Path | None,
    kind: str,
    pinned: str | None = None,
) -> PinnedModel:
    mv = _version(client, name, alias, pinned, kind)
    local = _fetch(client, mv, name, dest, "retain train")
    files = sorted(local.rglob("*.lgb"))
    if not files:
        raise ModelLoadError(f"model {name} version {mv.version}: no native LightGBM file")
    try:
        booster = lgb.Booster(model_file=str(files[0]))
    except lgb.basic.LightGBMError as e:
        raise ModelLoadError(
            f"model {name} version {mv.version}: corrupt model file {files[0].name}: {e}; "
            "register an intact version (retain train) or move the alias back"
        ) from e
    try:  # the calibration (churn), BTYD forecasts (value) and survival booster (churn)
        calibration, btyd, survival = (Calibration.load(local), BTYDParams.load(local),
                                       load_survival(local))  # fmt: skip
    except (ValueError, KeyError, TypeError, lgb.basic.LightGBMError) as e:
        raise ModelLoadError(f"model {name} version {mv.version}: bad companion file: {e}") from e
    log.info("loaded %s version %s (%s@%s)", name, mv.version, name, alias)
    tag = mv.tags.get(SNAPSHOT_TAG)  # absent on versions registered before it was stored
    snapshot = SnapshotConfig.from_json(tag) if tag else SnapshotConfig()
    tag = mv.tags.get(MARGIN_TAG)  # absent before it was stored: the defaults in code
    try:
        margin = MarginConfig.from_json(tag) if tag else MarginConfig()
    except (ValueError, KeyError, TypeError) as e:
        raise ModelLoadError(f"model {name} version {mv.version}: bad {MARGIN_TAG} tag: {e}") from e
    return PinnedModel(name, str(mv.version), booster, mv.tags[SCHEMA_TAG], calibration,
                       snapshot, btyd, survival, margin)  # fmt: skip


def _verify(name: str, mv: ModelVersion, local: Path) -> None:
    """Refuse the downloaded version unless its model files match the digests recorded at
    registration; warn when it has none (registered before digests were recorded)."""
    tag = mv.tags.get(DIGEST_TAG)
    if tag is None:
        log.warning(
            "model %s version %s has no %s tag (registered before model files were "
            "checksummed): the integrity of its files cannot be checked; retrain (retain "
            "train) to register a checksummed version",
            name,
            mv.version,
            DIGEST_TAG,
        )
        return
    try:
        verify_digests(local, tag)
    except CorruptModelFile as e:
        what = "corrupt model file " if isinstance(e, ChecksumMismatch) else ""
        raise ModelLoadError(
            f"model {name} version {mv.version}: {what}{e}; "
            "register an intact version (retain train) or move the alias back"
        ) from e


def _client(settings: Settings) -> MlflowClient:
    """A client of the MLflow store, checked reachable."""
    mlflow.set_tracking_uri(settings.tracking_uri)
    client = MlflowClient(settings.tracking_uri)
    try:
        client.search_registered_models(max_results=1)
    except Exception as e:  # any failure to reach the store is a refusal to start
        raise ModelLoadError(
            f"MLflow store {settings.tracking_uri} is unreachable ({type(e).__name__}); "
            "check MLFLOW_TRACKING_URI and that the server is running"
        ) from e
    return client


def resolve_versions(settings: Settings) -> dict[str, str | None]:
    """The versions `settings.alias` points to now: {churn, value, uplift (None if none)}.
    The HTTP service pins these (`serving.startup`) so every worker serves one set."""
    client = _client(settings)
    out: dict[str, str | None] = {}
    for key, name in (("churn", settings.churn_model), ("value", settings.value_model)):
        out[key] = str(_version(client, name, settings.alias, None, key).version)
    try:
        out["uplift"] = str(
            client.get_model_version_by_alias(settings.uplift_model, settings.alias).version
        )
    except MlflowException:
        out["uplift"] = None
    return out


def load_models(
    settings: Settings, dest: Path | None = None, versions: dict[str, str | None] | None = None
) -> Models:
    """Load `versions` ({churn, value, uplift}, from `resolve_versions`), or resolve
    `settings.alias` for every model once; fail fast with a message that says what to do
    when the store is unreachable, an alias is missing or the feature schema differs."""
    client = _client(settings)
    pins = versions or {}
    churn = _load(client, settings.churn_model, settings.alias, dest, "churn", pins.get("churn"))
    value = _load(client, settings.value_model, settings.alias, dest, "value", pins.get("value"))
    uplift = _load_uplift(client, settings, dest, pins.get("uplift", "alias") if pins else "alias")
    try:
        catalogue = Catalogue.from_toml(settings.offers) if uplift else None
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"offer catalogue: {e}; fix it or unset RETAIN_OFFERS") from e
    if uplift and catalogue:
        unknown = sorted({o.offer_id for o in catalogue.offers} - set(uplift.model.offers))
        if unknown:
            raise ModelLoadError(
                f"offer catalogue: offers {unknown} have no uplift in {uplift.ref}; retrain the "
                "uplift model on campaigns that used them, or remove them from the catalogue"
            )
    return Models(
        churn=churn,
        value=value,
        value_horizon_days=value.snapshot.value_horizon_days,
        uplift=uplift,
        catalogue=catalogue,
    )


def _load_uplift(
    client: MlflowClient, settings: Settings, dest: Path | None, pinned: str | None = "alias"
) -> PinnedUplift | None:
    """The offer-uplift model (version `pinned`, or the alias's when "alias"), or None when
    none is pinned or registered (the answers then carry no best offer, and the log says so)."""
    name = settings.uplift_model
    try:
        if pinned is None:
            raise MlflowException("no uplift model pinned")
        if pinned == "alias":
            mv = client.get_model_version_by_alias(name, settings.alias)
        else:
            mv = client.get_model_version(name, pinned)
    except MlflowException:
        log.info(
            "no %s@%s registered: answers carry no best offer (retain train-uplift)",
            name,
            settings.alias,
        )
        return None
    local = _fetch(client, mv, name, dest, "retain train-uplift")
    try:
        model = UpliftModel.load(local)
    except (OSError, ValueError, KeyError, lgb.basic.LightGBMError) as e:
        raise ModelLoadError(f"model {name} version {mv.version}: cannot load: {e}") from e
    log.info("loaded %s version %s (%s@%s)", name, mv.version, name, settings.alias)
    return PinnedUplift(name, str(mv.version), model)
