"""Evaluating an uplift model on campaign rows: Qini and AUUC per offer and pooled over
offers, beside random rankings, and the promotion rule (`beats_random`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.uplift.metrics import auuc, qini_coefficient

POOLED = "all offers"
RANDOM_DRAWS = 200


def _row(retained, t, score, rng) -> dict[str, float]:
    draws = [rng.random(len(score)) for _ in range(RANDOM_DRAWS)]
    q_random = [qini_coefficient(retained, t, d) for d in draws]
    return {
        "rows": int(len(score)),
        "qini": qini_coefficient(retained, t, score),
        "qini_random": float(np.mean(q_random)),
        "qini_random_sd": float(np.std(q_random)),
        "auuc": auuc(retained, t, score),
        "auuc_random": float(np.mean([auuc(retained, t, d) for d in draws[:20]])),
        "observed_uplift": float(retained[t].mean() - retained[~t].mean()),
    }


def evaluate(frame: pd.DataFrame, predicted: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Qini and AUUC on `frame` (later campaigns) beside a random ranking (the mean and
    spread of `RANDOM_DRAWS` random scores): per offer (its treated rows and every control)
    and pooled over offers (row `POOLED`: a treated row is scored with the offer it got, a
    control with the mean over offers, the uplift of the random offer it could have got)."""
    rng = np.random.default_rng(seed)
    treated = frame["treated"].to_numpy(dtype=bool)
    retained_all = 1.0 - frame["churned"].to_numpy(dtype=float)
    rows = {}
    for offer in predicted.columns:
        m = (frame["offer_id"].to_numpy() == offer) & treated | ~treated
        rows[offer] = _row(retained_all[m], treated[m], predicted[offer].to_numpy()[m], rng)
    rows[POOLED] = _row(retained_all, treated, pooled_score(frame, predicted), rng)
    return pd.DataFrame(rows).T


def pooled_score(frame: pd.DataFrame, per_offer: pd.DataFrame) -> np.ndarray:
    """One score per campaign row from per-offer columns: a treated row's is the offer it
    got, a control's the mean over offers (the uplift of the random offer it could have got)."""
    treated = frame["treated"].to_numpy(dtype=bool)
    sent = frame["offer_id"].to_numpy()
    score = per_offer.mean(axis=1).to_numpy().copy()
    for j, offer in enumerate(per_offer.columns):
        m = treated & (sent == offer)
        score[m] = per_offer.to_numpy()[m, j]
    return score


def beats_random(table: pd.DataFrame) -> bool:
    """The promotion rule: the pooled Qini on the later campaigns is positive and beats
    random rankings, i.e. exceeds their mean by two standard deviations (about 97.5% of
    them; above their mean alone, a random score would pass half the time)."""
    row = table.loc[POOLED]
    return bool(row["qini"] > max(0.0, row["qini_random"] + 2.0 * row["qini_random_sd"]))
