"""bench.observable: the observable oracle recovers gains that the features do determine."""

import numpy as np
import pandas as pd

from bench.observable import observable_oracle
from features.definitions import CATEGORICAL, FEATURE_NAMES


def _operator(n: int, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    vectors = pd.DataFrame(
        {c: rng.choice(["a", "b"], n) if c in CATEGORICAL else rng.normal(size=n)
         for c in FEATURE_NAMES}
    )  # fmt: skip
    vectors["subscriber_id"] = np.arange(n)
    numeric = [c for c in FEATURE_NAMES if c not in CATEGORICAL]
    x, z = vectors[numeric[0]].to_numpy(), vectors[numeric[1]].to_numpy()
    churn = 1 / (1 + np.exp(-(2 * x - 1)))
    value = 100_000 * np.exp(z)  # heavy-tailed, as revenue is
    rows = []
    for offer, save, cost in (("A", 0.5, 2_000.0), ("B", 0.2, 500.0)):
        rows.append(
            pd.DataFrame(
                {
                    "subscriber_id": np.arange(n),
                    "offer_id": offer,
                    "churn_probability_30d": churn,
                    "churn_probability_30d_treated": churn * (1 - save),
                    "expected_value_vnd_90d_if_retained": value,
                    "cost_vnd": cost,
                }
            )
        )
    return vectors, pd.concat(rows, ignore_index=True)


def test_both_variants_rank_the_gains_the_features_determine():
    vectors, truth = _operator(1_500)
    allowed = np.ones((1_500, 2), dtype=bool)
    allowed[:100, 1] = False  # offer B not allowed for the first 100
    out = observable_oracle(vectors, truth, ["A", "B"], allowed, seed=1, folds=3, threads=1)
    assert set(out) == {"direct", "structured"}
    for gains, quality in out.values():
        assert gains.shape == (1_500, 2)
        assert gains.iloc[:100, 1].isna().all() and gains.iloc[100:].notna().all().all()
        assert quality["spearman"] > 0.8 and quality["expected_qini_share"] > 0.9
    # The gain is a product of two well-predicted parts: the structured model gets it closer.
    direct, structured = out["direct"][1], out["structured"][1]
    assert structured["r2"] > max(0.75, direct["r2"])
    assert structured["spearman"] > max(0.95, direct["spearman"])


def test_noise_features_give_no_ranking():
    vectors, truth = _operator(1_500)
    shuffled = vectors.sample(frac=1.0, random_state=0).reset_index(drop=True)
    shuffled["subscriber_id"] = vectors["subscriber_id"]  # features unrelated to the truth
    out = observable_oracle(
        shuffled, truth, ["A", "B"], np.ones((1_500, 2), bool), seed=1, threads=1
    )
    # Only the offers' average difference is learnable: the ranking within an offer is noise.
    for gains, _ in out.values():
        a = truth[truth.offer_id == "A"].set_index("subscriber_id").loc[vectors.subscriber_id]
        true_a = (a.churn_probability_30d - a.churn_probability_30d_treated) * a[
            "expected_value_vnd_90d_if_retained"
        ] - a.cost_vnd
        assert abs(np.corrcoef(gains["A"], true_a)[0, 1]) < 0.1
