"""The raw-table learner (`learner="auto"`): the pooled save-rate learner or the DR-learner,
whichever ranks the training campaigns' rows better out of fold.

Both are cross-fitted on the training campaign rows (`FOLDS` folds stratified by arm: each
row is scored by models that never saw it) and their pooled Qini on those out-of-fold
scores is compared (`training.uplift.evaluation.evaluate`). The DR-learner is chosen only
when it beats random rankings (`beats_random`: above their mean by two standard deviations)
and its Qini exceeds the pooled learner's by more than the noise of a difference of two
Qinis on these rows (`clearly_better`: Z_CONFIDENT x sqrt(2) x the spread of random
rankings' Qini); otherwise the pooled learner, whose single causal number is itself used
only when confidently positive. The held-out campaigns that evaluate the model afterwards
play no part in the choice.

Why the margin: on a few thousand campaign rows with a churn rate near 5%, the out-of-fold
Qini of any ranking moves by about the random rankings' spread, so "higher" alone picks
the per-subscriber effects that fit the noise best, and the planner then contacts whoever
the noise favoured; the pooled learner's one causal number has far less variance. With
more rows the spread shrinks as 1/sqrt(n) and real heterogeneity wins the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from training.uplift.dr import DRUplift
from training.uplift.evaluation import POOLED, beats_random, evaluate
from training.uplift.learners import UpliftConfig
from training.uplift.pooled import Z_CONFIDENT, PooledSaveRate

FOLDS = 3


@dataclass(frozen=True)
class Choice:
    learner: str  # "s" (pooled save rate) or "dr"
    oof: dict[str, pd.DataFrame]  # per candidate: `evaluate`'s table on out-of-fold scores


def clearly_better(challenger: pd.DataFrame, incumbent: pd.DataFrame) -> bool:
    """`challenger` beats random rankings and its pooled Qini exceeds `incumbent`'s by more
    than Z_CONFIDENT x sqrt(2) x the random rankings' spread (see the module docstring)."""
    a, b = challenger.loc[POOLED], incumbent.loc[POOLED]
    noise = Z_CONFIDENT * np.sqrt(2.0) * float(a["qini_random_sd"])
    return bool(beats_random(challenger) and a["qini"] - b["qini"] > noise)


def choose_learner(
    campaigns: pd.DataFrame, base: pd.DataFrame, config: UpliftConfig, seed: int, threads: int
) -> tuple[PooledSaveRate | DRUplift, Choice]:
    """The chosen learner fitted on every training campaign row, and why it was chosen."""
    if base.empty:
        raise ValueError("base: no untargeted rows to learn the churn baseline from")
    campaigns = campaigns.reset_index(drop=True)
    kw = {"config": config, "seed": seed, "threads": threads}
    baseline = PooledSaveRate(**kw).baseline(base)  # depends on the base only: fitted once
    arm = np.where(campaigns["treated"], campaigns["offer_id"].astype(str), "")
    offers = sorted(set(campaigns.loc[campaigns["treated"], "offer_id"]))
    oof = {name: pd.DataFrame(0.0, index=campaigns.index, columns=offers) for name in ("s", "dr")}
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for tr, te in folds.split(campaigns, arm):
        part, held = campaigns.iloc[tr], campaigns.iloc[te]
        fitted = {
            "s": PooledSaveRate(**kw).fit(part, base, baseline),
            "dr": DRUplift(**kw).fit(part),
        }
        for name, model in fitted.items():
            pred = model.predict(held)
            oof[name].loc[held.index, pred.columns] = pred.to_numpy()
    tables = {name: evaluate(campaigns, scores, seed) for name, scores in oof.items()}
    learner = "dr" if clearly_better(tables["dr"], tables["s"]) else "s"
    model = (
        DRUplift(**kw).fit(campaigns)
        if learner == "dr"
        else PooledSaveRate(**kw).fit(campaigns, base, baseline)
    )
    return model, Choice(learner, tables)
