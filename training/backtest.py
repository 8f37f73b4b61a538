"""Rolling-origin backtest: several test cutoffs, each model trained only on snapshots whose
labels ended before that fold's validation cutoff, metrics per fold and their mean."""

from __future__ import annotations

import logging

import pandas as pd

from training.config import TrainConfig
from training.evaluate import churn_table, value_table
from training.fold import fit_churn, fit_value

log = logging.getLogger(__name__)


def fold_cutoffs(config: TrainConfig, folds: int) -> list[tuple]:
    """(validation_as_of, test_as_of) for the last `folds` monthly cutoffs."""
    cuts = config.cutoffs
    if folds > len(cuts) - 2:
        raise ValueError(
            f"backtest_folds: {folds} test cutoffs need at least {folds + 2} monthly cutoffs "
            f"from train_from {config.train_from}, found {len(cuts)}"
        )
    return [(cuts[i - 1], cuts[i]) for i in range(len(cuts) - folds, len(cuts))]


def backtest(
    frame: pd.DataFrame, config: TrainConfig, folds: int | None = None, strict: bool = True
) -> dict[str, pd.DataFrame]:
    """Per kind ("churn", "value"), a frame indexed (test_as_of, scorer) with every metric.

    A fold with no snapshot old enough to train on (90-day value labels need older
    snapshots than 30-day churn labels) is an error when `strict`, otherwise skipped with
    a warning; the frames say which folds ran.
    """
    folds = folds or config.backtest_folds
    out: dict[str, list[pd.DataFrame]] = {"churn": [], "value": []}
    snap = config.snapshot
    for validation_as_of, test_as_of in fold_cutoffs(config, folds):
        for kind in ("churn", "value"):
            try:
                if kind == "churn":
                    f = fit_churn(frame, validation_as_of, test_as_of, config)
                    table = churn_table(f.test[snap.churn_label], f.scores, config.empc)
                else:
                    f = fit_value(frame, validation_as_of, test_as_of, config)
                    table = value_table(f.test[snap.value_label], f.scores)
            except ValueError as e:
                if strict:
                    raise
                log.warning("backtest %s fold %s skipped: %s", kind, test_as_of, e)
                continue
            table.index.name = "scorer"
            out[kind].append(table.assign(test_as_of=test_as_of, train_rows=f.train_rows))
    result = {}
    for kind, parts in out.items():
        if parts:
            result[kind] = pd.concat(parts).reset_index().set_index(["test_as_of", "scorer"])
    return result


def mean_over_folds(table: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per scorer across folds, with the number of folds."""
    g = table.drop(columns=["train_rows"]).groupby(level="scorer", sort=False)
    return g.mean().assign(folds=g.size())
