# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Model review
#
# The runs in MLflow, the champion against the challenger (when there is one) and the
# recency baseline on a labelled snapshot: cumulative gains, calibration, and what drives
# churn (LightGBM's own per-feature contributions). Set `RETAIN_RAW`, `RETAIN_AS_OF` and the
# usual `RETAIN_HOME` / `MLFLOW_TRACKING_URI`; run `make demo` first for the defaults.

# %%
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import mlflow
import pandas as pd

from features.settings import Settings
from features.snapshot import build_snapshot
from serving.registry import ModelLoadError, load_models
from serving.scoring import score
from training.metrics import churn_metrics
from training.report import (
    calibration_figure,
    contributions,
    contributions_figure,
    gains_figure,
    importance_figure,
)

settings = Settings.from_env()
raw = Path(os.environ.get("RETAIN_RAW", settings.home / "data" / "raw"))
AS_OF = date.fromisoformat(os.environ.get("RETAIN_AS_OF", "2025-10-01"))
mlflow.set_tracking_uri(settings.tracking_uri)

# %% [markdown]
# ## Runs

# %%
runs = mlflow.search_runs(experiment_names=[settings.experiment])
wanted = [c for c in runs.columns if c.startswith("metrics.test_churn_") and "roc_auc" in c]
runs[["run_id", "start_time", "tags.mlflow.runName", *wanted]].head(10)

# %% [markdown]
# ## Champion, challenger and the baseline on one labelled snapshot

# %%
champion = load_models(settings)
try:
    challenger = load_models(replace(settings, alias="challenger"))
except ModelLoadError as e:
    challenger = None
    print(f"no challenger: {e}")
snap = build_snapshot(raw, AS_OF, labels=True)
y = snap["churned_30d"].to_numpy()
probabilities = {
    f"champion {champion.churn.ref}": score(snap, champion, reasons=False)[
        "churn_probability"
    ].to_numpy()
}
if challenger is not None and challenger.churn.ref != champion.churn.ref:
    probabilities[f"challenger {challenger.churn.ref}"] = score(snap, challenger, reasons=False)[
        "churn_probability"
    ].to_numpy()
recency = -snap["days_since_last_billable"].fillna(10_000).to_numpy()
pd.DataFrame({name: churn_metrics(y, p) for name, p in probabilities.items()}).T.round(4)

# %%
gains_figure(y, probabilities | {"recency baseline": recency})

# %%
calibration_figure(y, probabilities)

# %% [markdown]
# ## What drives churn

# %%
importance_figure(champion.churn.booster, "churn model: gain importance")

# %%
summary = contributions(champion.churn.booster, snap)
summary.head(15).round(4)

# %%
contributions_figure(summary, "churn model: contributions to the score")
