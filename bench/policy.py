"""Offer policies on the default synthetic operator, measured against its truth.

    python -m bench.policy [--budgets 20000000 50000000 150000000]

On the default operator (20,000 subscribers, seed 42) with its truth folder:
1. churn and value models fitted as `retain train` does, and the offer-uplift model
   (X-learner) on the campaigns whose 30-day label window ended before the decision date;
2. the eligible base as of the decision date scored through serving's one scoring path
   (calibrated churn, value if retained, best offers and their expected gains);
3. for each budget, the realised net gain (from the truth: saved churn probability x value
   if retained - expected cost) of Retain's plan, "highest churn risk", "highest value at
   risk" and random (all three sending the offer that worked best on average in past
   campaigns), and the oracle (planning on the true gains).
Also the uplift model's Qini on the latest campaigns beside a random ranking.
Writes bench/results/policy.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from datetime import date
from pathlib import Path

import pandas as pd

from features.calibration import Calibration
from features.definitions import feature_schema_version
from features.generator import GeneratorConfig, generate_operator
from features.snapshot import build_snapshot
from features.training_set import build_training_set
from features.truth import read_truth
from serving.decision import Catalogue
from serving.policies import compare_policies
from serving.registry import Models, PinnedModel, PinnedUplift
from serving.scoring import OFFER_GAINS, score_columns
from training.config import TrainConfig
from training.pipeline import fit_and_evaluate
from training.uplift import OfferUplift
from training.uplift_data import campaign_set
from training.uplift_pipeline import evaluate

log = logging.getLogger("bench.policy")
DECISION_DATE = date(2025, 12, 1)
CACHE = Path(os.environ.get("RETAIN_BENCH_CACHE", "/tmp/retain-bench")) / "policy"
RESULTS = Path(__file__).parent / "results" / "policy.json"


def operator() -> tuple[Path, Path]:
    raw, truth = CACHE / "raw", CACHE / "truth"
    stamp = CACHE / "stamp.json"
    want = {"config": repr(GeneratorConfig())}
    if not (stamp.exists() and json.loads(stamp.read_text()) == want):
        generate_operator(GeneratorConfig(), raw, truth=truth)
        stamp.write_text(json.dumps(want))
    return raw, truth


def churn_calibration(fitted) -> Calibration:
    """The calibration training fitted, when it exposes one (identity otherwise)."""
    cal = getattr(fitted, "calibration", None) or getattr(fitted.churn, "calibration_", None)
    return cal if isinstance(cal, Calibration) else Calibration()


def main(budgets: list[float]) -> dict:
    t0 = time.perf_counter()
    raw, truth_dir = operator()
    config = TrainConfig()
    frame, _ = build_training_set(raw, config.cutoffs, config.snapshot)
    fitted = fit_and_evaluate(frame, config)
    campaigns = campaign_set(raw)
    before = campaigns[
        campaigns["sent_day"].map(pd.Timestamp) + pd.Timedelta(days=30)
        <= pd.Timestamp(DECISION_DATE)
    ]
    days = sorted(before["sent_day"].unique())
    train, test = before[before["sent_day"] < days[-2]], before[before["sent_day"] >= days[-2]]
    uplift = OfferUplift(seed=config.seed, threads=config.threads).fit(
        train, train["offer_id"], train["treated"], train["churned"]
    )
    qini = evaluate(test, uplift.predict(test), config.seed)
    catalogue = Catalogue.from_toml()
    fsv = feature_schema_version()
    models = Models(
        churn=PinnedModel("churn", "bench", fitted.churn.booster_, fsv, churn_calibration(fitted)),
        value=PinnedModel("value", "bench", fitted.value.booster_, fsv),
        uplift=PinnedUplift("uplift", "bench", uplift.model_),
        catalogue=catalogue,
    )
    vectors = build_snapshot(raw, DECISION_DATE)
    answer = score_columns(
        {c: vectors[c].to_numpy() for c in vectors.columns}, models, reasons=False
    )
    offers = [o.offer_id for o in catalogue.offers]
    scored = pd.DataFrame(
        {k: answer[k] for k in ("subscriber_id", "churn_probability", "value_if_retained_vnd")}
    )
    gains = pd.DataFrame(answer[OFFER_GAINS], columns=offers)
    churn = read_truth(truth_dir, "churn_probability")
    effect = read_truth(truth_dir, "offer_effect")
    at = pd.Timestamp(DECISION_DATE).date()
    churn = churn[pd.to_datetime(churn["as_of"]).dt.date == at]
    effect = effect[pd.to_datetime(effect["as_of"]).dt.date == at]
    truth = effect.merge(churn[["subscriber_id", "churn_probability_30d"]], on="subscriber_id")
    truth = truth[truth["offer_id"].isin(offers)]
    observed = before.groupby("offer_id").apply(
        lambda g: g[~g.treated].churned.mean() - g[g.treated].churned.mean(), include_groups=False
    )
    default_offer = str(observed.reindex(offers).idxmax())
    tables = [compare_policies(scored, gains, truth, catalogue, b, default_offer) for b in budgets]
    result = {
        "decision_date": DECISION_DATE.isoformat(),
        "eligible_subscribers": len(vectors),
        "default_offer_for_ranking_policies": default_offer,
        "uplift_qini_latest_campaigns": qini.round(5).to_dict(orient="index"),
        "budgets": [
            {
                "budget_vnd": b,
                "policies": t.drop(columns="budget_vnd").round(4).to_dict(orient="index"),
                "retain_share_of_oracle": float(t.loc["retain", "share_of_oracle"]),
                "retain_vs_highest_churn_risk": float(
                    t.loc["retain", "net_gain_vnd"] / t.loc["highest_churn_risk", "net_gain_vnd"]
                )
                if t.loc["highest_churn_risk", "net_gain_vnd"] > 0
                else None,
            }
            for b, t in zip(budgets, tables, strict=True)
        ],
        "seconds": round(time.perf_counter() - t0, 1),
        "load_average": os.getloadavg()[0],
    }
    for b, t in zip(budgets, tables, strict=True):
        print(f"\nbudget {b:,.0f} VND, decision date {DECISION_DATE}")
        print(
            t[
                [
                    "contacted",
                    "net_gain_vnd",
                    "retained_subscribers",
                    "expected_cost_vnd",
                    "share_of_oracle",
                ]
            ]
            .round(3)
            .to_string()
        )
    print("\nuplift model on the latest campaigns (Qini vs a random ranking):")
    print(qini.round(4).to_string())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=float) + "\n")
    print(f"\n-> {RESULTS}")
    return result


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budgets", type=float, nargs="+", default=[20e6, 50e6, 150e6])
    main(ap.parse_args().budgets)
