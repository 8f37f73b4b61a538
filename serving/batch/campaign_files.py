"""The batch job's campaign list: planned over the whole scored base, written as Parquet and
CSV beside the scores (subscriber, offer, channel, expected gain, cost, group, reasons)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract.sources import replacing
from serving.batch.outputs import atomic_parquet_writer
from serving.decision import DecisionPolicy, plan_campaign
from serving.registry import Models

CAMPAIGN_COLUMNS = (
    "subscriber_id",
    "offer_id",
    "channel",
    "expected_gain_vnd",
    "cost_vnd",
    "group",
    "reasons",
)


def write_campaign(
    out: Path,
    ids: list,
    gains: list,
    models: Models,
    policy: DecisionPolicy,
    scores_path: Path | None = None,
) -> pd.DataFrame | None:
    """Plan the budgeted campaign over the whole scored base; write it as Parquet and CSV
    (reasons joined from the scores at `scores_path`, a file or a folder of parts, by default
    OUT/scores.parquet). None when no uplift model is pinned."""
    if models.uplift is None or models.catalogue is None:
        return None
    offers = [o.offer_id for o in models.catalogue.offers]
    all_ids = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
    matrix = np.vstack(gains) if gains else np.empty((0, len(offers)))
    plan = plan_campaign(all_ids, pd.DataFrame(matrix, columns=offers), models.catalogue, policy)
    reasons = (
        pq.read_table(
            scores_path or out / "scores.parquet",
            columns=["subscriber_id", "reasons"],
            filters=[("subscriber_id", "in", plan["subscriber_id"].tolist())],
        ).to_pandas()
        if len(plan)
        else pd.DataFrame({"subscriber_id": [], "reasons": []})
    )
    plan = (
        plan.merge(reasons, on="subscriber_id", how="left")
        .sort_values(
            ["group", "expected_gain_vnd", "subscriber_id"],
            ascending=[False, False, True],
            kind="stable",
        )
        .reset_index(drop=True)[list(CAMPAIGN_COLUMNS)]
    )
    table = pa.Table.from_pandas(plan, preserve_index=False)
    with atomic_parquet_writer(out / "campaign.parquet", table.schema) as w:
        w.write_table(table)
    csv = plan.assign(
        reasons=plan["reasons"].map(
            lambda r: " | ".join(r) if isinstance(r, list | np.ndarray) else ""
        )
    )
    with replacing(out / "campaign.csv") as tmp:
        csv.to_csv(tmp, index=False)
    return plan


def campaign_summary(plan: pd.DataFrame | None) -> dict:
    """Contacts, control, cost, expected gain and offers of a plan's treatment rows."""
    if plan is None:
        return {}
    t = plan[plan["group"] == "treatment"]
    return {
        "contacted": int(len(t)),
        "control": int(len(plan) - len(t)),
        "cost_vnd": float(t["cost_vnd"].sum()),
        "expected_gain_vnd": float(t["expected_gain_vnd"].sum()),
        "offers": {k: int(v) for k, v in t["offer_id"].value_counts().sort_index().items()},
    }
