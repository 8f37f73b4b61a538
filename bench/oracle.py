"""The oracle figures of the default synthetic operator, from its truth.

    flock /tmp/retain-bench.lock python -m bench.oracle [--subscribers 20000]

On the test snapshot (TrainConfig().test_as_of) of the default operator, side by side:

- churn: ROC-AUC of the true 30-day churn probability (the oracle: no model can rank better
  on average) and of the recency baseline (days since the last billable event);
- value: normalized Gini of the true expected 90-day revenue and of trailing 90-day revenue;
- offers: the net gain (VND) of the best possible offer policy, (P(churn) - P(churn | offer))
  x value if retained - expected cost, summed over the subscribers it contacts: without a
  limit, and with the contact capacity of one eligible subscriber in twenty; beside it, what
  a random 5% with random offers, and the true top-5% churn risks with their best offer, gain.

Models and policies are then reported as a ratio to these figures.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.fingerprint import write_result
from features.snapshot import build_snapshot
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import read_truth
from training.config import TrainConfig
from training.metrics import normalized_gini, roc_auc

log = logging.getLogger(__name__)
CAPACITY = 0.05


def oracle_figures(raw: Path, truth: Path, as_of, seed: int = 0) -> dict:
    snap = build_snapshot(raw, as_of, labels=True)
    keys = ["subscriber_id", "as_of"]
    snap = snap.merge(read_truth(truth, "churn_probability"), on=keys, validate="one_to_one")
    snap = snap.merge(read_truth(truth, "future_value"), on=keys, validate="one_to_one")
    y = snap.churned_30d.to_numpy()
    offers = read_truth(truth, "offer_effect")
    offers = offers[offers.as_of == as_of].merge(
        snap[["subscriber_id", "churn_probability_30d"]], on="subscriber_id"
    )
    offers["gain"] = (
        offers.churn_probability_30d - offers.churn_probability_30d_treated
    ) * offers.expected_value_vnd_90d_if_retained - offers.cost_vnd
    gains = offers.pivot(index="subscriber_id", columns="offer_id", values="gain")
    best = gains.max(axis=1).sort_values(ascending=False)
    k = int(len(snap) * CAPACITY)
    rng = np.random.default_rng(seed)
    random_pick = rng.choice(len(gains), k, replace=False)
    random_offer = rng.integers(0, gains.shape[1], k)
    risk = snap.set_index("subscriber_id").churn_probability_30d.loc[gains.index]
    top_risk = risk.sort_values(ascending=False).index[:k]
    return {
        "as_of": as_of.isoformat(),
        "eligible": len(snap),
        "churn_rate": round(float(y.mean()), 4),
        "churn_roc_auc": {
            "oracle": round(roc_auc(y, snap.churn_probability_30d.to_numpy()), 4),
            "recency_baseline": round(
                roc_auc(y, snap.days_since_last_billable.fillna(9999).to_numpy()), 4
            ),
        },
        "value_normalized_gini": {
            "oracle": round(normalized_gini(snap.value_vnd_90d, snap.expected_value_vnd_90d), 4),
            "trailing_revenue_baseline": round(
                normalized_gini(snap.value_vnd_90d, snap.revenue_vnd_sum_90d), 4
            ),
        },
        "offer_policy_gain_vnd": {
            "oracle_unlimited": round(float(best[best > 0].sum())),
            "oracle_unlimited_contacts": int((best > 0).sum()),
            f"oracle_capacity_{CAPACITY:.0%}": round(float(best.iloc[:k].clip(lower=0).sum())),
            f"random_{CAPACITY:.0%}_random_offer": round(
                float(gains.to_numpy()[random_pick, random_offer].sum())
            ),
            f"top_true_risk_{CAPACITY:.0%}_best_offer": round(
                float(gains.loc[top_risk].max(axis=1).sum())
            ),
            "contacts_at_capacity": k,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=GeneratorConfig().subscribers)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = GeneratorConfig(subscribers=args.subscribers)
    with tempfile.TemporaryDirectory(prefix="retain-oracle-") as work:
        raw = Path(work) / "raw"
        t0 = time.perf_counter()
        generate_operator(cfg, raw)
        log.info("generated in %.1f s", time.perf_counter() - t0)
        figures = oracle_figures(raw, raw.parent / "truth", TrainConfig().test_as_of)
    figures["generator"] = {"subscribers": cfg.subscribers, "months": cfg.months, "seed": cfg.seed}
    auc, gini = figures["churn_roc_auc"], figures["value_normalized_gini"]
    gain = figures["offer_policy_gain_vnd"]
    print(f"test snapshot {figures['as_of']}: {figures['eligible']:,} eligible, "
          f"churn rate {figures['churn_rate']:.2%}")  # fmt: skip
    print(f"{'figure':42} {'oracle':>14} {'reference':>14} {'ratio':>7}")
    rows = [
        ("churn ROC-AUC (ref: recency)", auc["oracle"], auc["recency_baseline"]),
        ("value normalized Gini (ref: trailing 90d)", gini["oracle"],
         gini["trailing_revenue_baseline"]),
        ("offer gain VND, 5% capacity (ref: random)", gain["oracle_capacity_5%"],
         gain["random_5%_random_offer"]),
        ("offer gain VND, 5% (ref: top true risk)", gain["oracle_capacity_5%"],
         gain["top_true_risk_5%_best_offer"]),
    ]  # fmt: skip
    for name, oracle, ref in rows:
        ratio = ref / oracle if oracle else float("nan")
        print(f"{name:42} {oracle:>14,} {ref:>14,} {ratio:>7.3f}")
    print(f"oracle without a limit: {gain['oracle_unlimited']:,} VND from "
          f"{gain['oracle_unlimited_contacts']:,} contacts")  # fmt: skip
    path = write_result(
        "oracle",
        figures,
        code=("bench/oracle.py",),
        settings={"test_as_of": str(TrainConfig().test_as_of)},
        generator=figures["generator"],
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
