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
# # 03 · Campaign simulation
#
# On a synthetic operator, whose truth (each subscriber's true churn probability and true
# response to every offer) is kept beside the raw tables, compare the offer policies on the
# same budget: Retain's plan, "contact the highest churn risk", "contact the highest value
# at risk", random, and the oracle; then the budget curve (net gain against budget).
# Needs the champion models and an uplift model (`make demo` registers them).

# %%
import os
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from features.settings import Settings
from features.snapshot import build_snapshot
from features.synthetic.truth import read_truth
from serving.policies import compare_policies
from serving.registry import load_models
from serving.scoring import OFFER_GAINS, score_columns

settings = Settings.from_env()
raw = Path(os.environ.get("RETAIN_RAW", settings.home / "data" / "raw"))
truth_dir = raw.parent / "truth"
AS_OF = date.fromisoformat(os.environ.get("RETAIN_AS_OF", "2025-12-01"))
models = load_models(settings)
print(
    f"models: {models.churn.ref}, {models.value.ref}, "
    f"{models.uplift.ref if models.uplift else 'no uplift model'}"
)

# %% [markdown]
# ## Score the base as of the decision date

# %%
vectors = build_snapshot(raw, AS_OF)
answer = score_columns({c: vectors[c].to_numpy() for c in vectors.columns}, models, reasons=False)
offers = [o.offer_id for o in models.catalogue.offers]
scored = pd.DataFrame(
    {k: answer[k] for k in ("subscriber_id", "churn_probability", "value_if_retained_vnd")}
)
gains = pd.DataFrame(answer[OFFER_GAINS], columns=offers)
print(
    f"{len(scored):,} eligible subscribers; {gains.notna().any(axis=1).sum():,} could pay "
    "for an offer"
)

# %% [markdown]
# ## The truth for that date

# %%
churn = read_truth(truth_dir, "churn_probability")
effect = read_truth(truth_dir, "offer_effect")
churn = churn[pd.to_datetime(churn["as_of"]).dt.date == AS_OF]
effect = effect[pd.to_datetime(effect["as_of"]).dt.date == AS_OF]
truth = effect.merge(churn[["subscriber_id", "churn_probability_30d"]], on="subscriber_id")
truth = truth[truth["offer_id"].isin(offers)]
truth.groupby(["offer_id", "uplift_type"]).size().unstack(fill_value=0)

# %% [markdown]
# ## Policies on one budget

# %%
BUDGET = float(os.environ.get("RETAIN_BUDGET_VND", 5_000_000))
table = compare_policies(scored, gains, truth, models.catalogue, BUDGET, default_offer=offers[0])
table.round(3)

# %% [markdown]
# ## The budget curve

# %%
budgets = [BUDGET * f for f in (0.25, 0.5, 1, 2, 4)]
curve = pd.concat(
    [
        compare_policies(scored, gains, truth, models.catalogue, b, default_offer=offers[0]).assign(
            budget_vnd=b
        )
        for b in budgets
    ]
)
fig, ax = plt.subplots(figsize=(6.5, 4))
for name, rows in curve.groupby(level=0):
    ax.plot(rows["budget_vnd"], rows["net_gain_vnd"], marker="o", label=name)
ax.set(xlabel="budget, VND", ylabel="realised net gain, VND (truth)", xscale="log")
ax.legend()
plt.show()
