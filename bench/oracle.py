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
import pandas as pd

from bench.fingerprint import write_result
from features.snapshot import build_snapshot
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import read_truth
from training.config import TrainConfig
from training.metrics import normalized_gini, roc_auc
from training.models import booster_params

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


def observable_oracle(
    vectors: pd.DataFrame,
    truth: pd.DataFrame,
    offers: list[str],
    allowed: np.ndarray,
    seed: int = 7,
    folds: int = 5,
) -> tuple[pd.DataFrame, dict]:
    """The observable oracle: the best a model of observable behaviour can know of each
    (subscriber, offer)'s true expected net gain (`serving.policies.true_gains`), and so a
    reachable yardstick for a planner that only sees behaviour.

    One LightGBM on Retain's feature vector (as of the decision date) with the offer as
    one-hot inputs, regressing the truth's gain, cross-fitted over `folds` folds of
    subscribers: fold k is predicted by a booster trained on the folds other than k and
    k + 1, early-stopped on fold k + 1; the churn model's settings (`ChurnConfig`) with its
    round limit raised to 2,000. `allowed` (rows x offers) is the catalogue's eligibility;
    elsewhere the gain is NaN. Returns (out-of-fold gains aligned with `vectors`, quality:
    Spearman and R^2 of the predicted gains against the truth's on held-out folds, and the
    expected Qini of the predicted gains as a share of the perfect ranking's)."""
    import lightgbm as lgb
    from scipy.stats import spearmanr

    from features.vector import model_frame
    from serving.policies import true_gains
    from training.config import ChurnConfig
    from training.uplift.metrics import expected_qini

    ids = vectors["subscriber_id"].to_numpy()
    target = true_gains(truth).reindex(index=ids, columns=offers).to_numpy(dtype=float)
    X = model_frame(vectors).reset_index(drop=True)
    cfg = ChurnConfig()
    params = booster_params(cfg, seed, threads=2) | {"objective": "regression"}

    def stacked(rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        parts = [
            X.iloc[rows].assign(**{f"offer_is_{o}": float(o == offer) for o in offers})
            for offer in offers
        ]
        y = target[rows].T.ravel()  # offer-major, as the parts
        ok = np.isfinite(y) & allowed[rows].T.ravel()
        return pd.concat(parts, ignore_index=True)[ok], y[ok], ok

    fold = np.random.default_rng(seed).permutation(len(ids)) % folds
    predicted = np.full(target.shape, np.nan)
    for k in range(folds):
        stop = (k + 1) % folds
        Xt, yt, _ = stacked(np.flatnonzero((fold != k) & (fold != stop)))
        Xs, ys, _ = stacked(np.flatnonzero(fold == stop))
        booster = lgb.train(
            params,
            lgb.Dataset(Xt, label=yt),
            num_boost_round=2_000,
            valid_sets=[lgb.Dataset(Xs, label=ys)],
            callbacks=[lgb.early_stopping(cfg.early_stopping_rounds, verbose=False)],
        )
        rows = np.flatnonzero(fold == k)
        Xk, _, ok = stacked(rows)
        out = np.full(len(rows) * len(offers), np.nan)
        out[ok] = booster.predict(Xk, num_iteration=booster.best_iteration)
        predicted[rows] = out.reshape(len(offers), len(rows)).T
    known = np.isfinite(predicted) & np.isfinite(target)
    p, t = predicted[known], target[known]
    quality = {
        "spearman": round(float(spearmanr(p, t).statistic), 4),
        "r2": round(float(1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)), 4),
        "expected_qini_share": round(expected_qini(t, p) / expected_qini(t, t), 4),
    }
    return pd.DataFrame(predicted, columns=offers), quality
