"""Environment settings, read once at an entry point and passed explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CHURN_MODEL = "retain-churn"
VALUE_MODEL = "retain-value"
UPLIFT_MODEL = "retain-uplift"


@dataclass(frozen=True)
class Settings:
    home: Path  # where the embedded defaults live: sqlite store, artefacts, data
    tracking_uri: str
    experiment: str = "retain"
    churn_model: str = CHURN_MODEL
    value_model: str = VALUE_MODEL
    uplift_model: str = UPLIFT_MODEL
    alias: str = "champion"
    offers: Path | None = None  # offer catalogue TOML; None = the one shipped with Retain
    language: str = "en"  # what reports, reasons and answers are written in (en, vi)

    @property
    def artifact_root(self) -> Path:
        return self.home / "mlartifacts"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """RETAIN_HOME (default ./.retain), MLFLOW_TRACKING_URI (default a sqlite file there),
        RETAIN_EXPERIMENT, RETAIN_MODEL_ALIAS, RETAIN_OFFERS (offer catalogue TOML), RETAIN_LANG
        (the default language of reasons, answers and reports: en or vi)."""
        env = dict(os.environ if env is None else env)
        home = Path(env.get("RETAIN_HOME", ".retain")).resolve()
        uri = env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home / 'mlflow.db'}"
        return cls(
            home=home,
            tracking_uri=uri,
            experiment=env.get("RETAIN_EXPERIMENT", "retain"),
            alias=env.get("RETAIN_MODEL_ALIAS", "champion"),
            offers=Path(env["RETAIN_OFFERS"]).resolve() if env.get("RETAIN_OFFERS") else None,
            language=env.get("RETAIN_LANG") or "en",
        )
