"""The batch job's campaign list: planned over the whole scored base, written as Parquet and
CSV beside the scores (subscriber, offer, channel, expected gain, cost, group, reasons and
purpose: `uplift`, planned on the uplift model's gains, or `exploration`, randomised by the
playbook when no uplift model is pinned, see `serving.exploration`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract.sources import replacing
from serving.batch.outputs import atomic_parquet_writer
from serving.decision import DecisionPolicy, plan_campaign
from serving.exploration import EXPLORATION, UPLIFT, Exploration, explore
from serving.registry import Models

CAMPAIGN_COLUMNS = (
    "subscriber_id",
    "offer_id",
    "channel",
    "expected_gain_vnd",
    "cost_vnd",
    "group",
    "reasons",
    "purpose",
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
    OUT/scores.parquet). Without a pinned uplift model, the exploration campaign when the
    policy carries one, else None."""
    if models.uplift is None or models.catalogue is None:
        if policy.exploration is None:
            return None
        plan = explore(
            _segments(scores_path or out / "scores.parquet", policy.exploration),
            policy.exploration,
            policy,
        )
        purpose = EXPLORATION
    else:
        offers = [o.offer_id for o in models.catalogue.offers]
        all_ids = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
        matrix = np.vstack(gains) if gains else np.empty((0, len(offers)))
        gains_frame = pd.DataFrame(matrix, columns=offers)
        plan = plan_campaign(all_ids, gains_frame, models.catalogue, policy)
        purpose = UPLIFT
    plan = plan.assign(purpose=purpose)
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


def _segments(scores_path: Path, exploration: Exploration) -> pd.DataFrame:
    """Scored subscribers (a file, or the Spark engine's folder of parts) with their tier,
    relationship state and contract type."""
    scores = pq.read_table(
        scores_path, columns=["subscriber_id", "value_tier", "relationship_state"]
    ).to_pandas()
    contract = pq.read_table(exploration.vectors, columns=["subscriber_id", "contract_type"])
    return scores.merge(contract.to_pandas(), on="subscriber_id", how="left")


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
        "purpose": str(plan["purpose"].iloc[0]) if len(plan) else UPLIFT,
    }
