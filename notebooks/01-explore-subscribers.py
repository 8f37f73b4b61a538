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
# # 01 · Explore the subscribers
#
# The raw tables of an operator (here the synthetic one, or yours: set `RETAIN_RAW`),
# the recency / frequency / monetary picture, the Pareto curve of revenue, value tiers,
# and churn by tenure and by province. Everything is computed by Retain's own packages;
# this notebook only looks.

# %%
import os
import tempfile
from datetime import date
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from features.contract.sources import read_table
from features.snapshot import build_snapshot
from features.synthetic.generator import GeneratorConfig, generate_operator
from serving.segments import top_share, value_tier

AS_OF = date.fromisoformat(os.environ.get("RETAIN_AS_OF", "2025-09-01"))
raw = Path(os.environ["RETAIN_RAW"]) if "RETAIN_RAW" in os.environ else None
if raw is None:  # a small synthetic operator, generated for this notebook
    raw = Path(tempfile.mkdtemp()) / "raw"
    generate_operator(GeneratorConfig(subscribers=3_000, months=12), raw)

# %% [markdown]
# ## The base

# %%
subscribers = read_table(raw, "subscribers")
print(f"{len(subscribers):,} subscribers")
pd.concat(
    [
        subscribers[c].value_counts(normalize=True).round(3).rename(c)
        for c in ("contract_type", "region", "customer_type")
    ],
    axis=1,
)

# %% [markdown]
# ## Recency, frequency, monetary (as of the snapshot date)

# %%
snap = build_snapshot(raw, AS_OF, labels=True)
rfm = snap[["days_since_last_recharge", "recharge_count_90d", "recharge_vnd_sum_90d"]]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
for ax, col in zip(axes, rfm.columns, strict=True):
    ax.hist(rfm[col].dropna(), bins=40, color="#2b6cb0")
    ax.set_title(col)
plt.tight_layout()
plt.show()
rfm.describe().round(1)

# %% [markdown]
# ## The Pareto view: what share of revenue do the top subscribers bring?

# %%
revenue = np.sort(snap["revenue_vnd_sum_90d"].to_numpy())[::-1]
cum = np.cumsum(revenue) / revenue.sum()
share = np.arange(1, len(revenue) + 1) / len(revenue)
plt.figure(figsize=(5, 4))
plt.plot(share, cum, color="#c05621")
plt.plot([0, 1], [0, 1], ls="--", color="grey")
plt.axvline(0.2, color="grey", lw=0.5)
plt.xlabel("share of subscribers (highest revenue first)")
plt.ylabel("share of 90-day revenue")
plt.show()
print(f"top 20% of subscribers bring {top_share(revenue):.0%} of the last 90 days' revenue")

# %% [markdown]
# ## Value tiers on trailing revenue
# (The scoring job assigns tiers on *predicted* value; here the last 90 days stand in.)

# %%
monthly = snap["revenue_vnd_sum_90d"] / 3
tiers = value_tier(monthly, snap["tenure_days"])
tier_table = pd.DataFrame(
    {
        "subscribers": tiers.value_counts(),
        "revenue_share": monthly.groupby(tiers).sum() / monthly.sum(),
    }
)
tier_table.round(3)

# %% [markdown]
# ## Churn by tenure and by province

# %%
bands = pd.cut(
    snap["tenure_days"],
    [0, 90, 180, 365, 730, 1825, 1e6],
    labels=["<3m", "3-6m", "6-12m", "1-2y", "2-5y", "5y+"],
)
by_tenure = snap.groupby(bands, observed=True)["churned_30d"].agg(["mean", "size"])
by_tenure["mean"].plot.bar(figsize=(6, 3), color="#2f855a", title="30-day churn by tenure")
plt.show()
by_province = (
    snap.groupby("province")["churned_30d"]
    .agg(["mean", "size"])
    .query("size >= 30")
    .sort_values("mean", ascending=False)
)
by_province.head(10).round(3)
