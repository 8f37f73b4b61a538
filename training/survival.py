"""Time to churn: a discrete-time hazard model, LightGBM on subscriber-month rows.

The stacked monthly snapshots already hold, per subscriber and cutoff, the features at the
cutoff and whether they churned in the month after it. Following each subscriber's row at
cutoff c_i forward through the later cutoffs gives the person-period table of discrete-time
survival analysis (Singer & Willett 1993): one row per month m = 1, 2, ... while they were
still active at its start, features as of c_i, `months_ahead` = m, label = churned in month
m; a subscriber leaves the table after their churn month or when the data end. The booster
learns h(m | x); `features.artefacts.survival` turns it into S(m) for m = 1..24 (months past
the data are extrapolated by the booster's flat tail in `months_ahead`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.artefacts.survival import MONTHS, MONTHS_AHEAD, survival_from_hazards
from features.vector import model_frame
from training.config import ChurnConfig
from training.models import _Booster, booster_params

_WEIGHT = "_person_month_weight"


def person_months(
    frame: pd.DataFrame, churn_label: str, follow_up: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The person-period rows of stacked monthly snapshots (see the module docstring): the
    snapshot columns of the origin row, `months_ahead` and `event` (churned in that month).

    `follow_up` (subscriber_id, as_of, churn label at every cutoff; default `frame` itself)
    follows a sampled frame's subscribers through cutoffs where they were not sampled."""
    follow_up = frame if follow_up is None else follow_up
    cutoffs = sorted(follow_up["as_of"].unique())
    index = {c: i for i, c in enumerate(cutoffs)}
    labels = follow_up.pivot_table(index="subscriber_id", columns="as_of", values=churn_label,
                               aggfunc="first").reindex(columns=cutoffs)  # fmt: skip
    grid = labels.to_numpy(dtype=float)
    row_of = pd.Series(np.arange(len(labels)), index=labels.index)
    origin_row = row_of.reindex(frame["subscriber_id"]).to_numpy()
    origin_col = frame["as_of"].map(index).to_numpy()
    parts = []
    alive = np.ones(len(frame), dtype=bool)
    for k in range(len(cutoffs)):
        col = origin_col + k
        inside = col < len(cutoffs)
        y = np.full(len(frame), np.nan)
        y[inside] = grid[origin_row[inside], col[inside]]
        keep = alive & inside & ~np.isnan(y)
        if not keep.any():
            break
        part = frame.loc[keep].copy()
        part[MONTHS_AHEAD] = float(k + 1)
        part["event"] = y[keep]
        parts.append(part)
        alive = keep & (y == 0)
    return pd.concat(parts, ignore_index=True)


class SurvivalModel(_Booster):
    """LightGBM binary classifier of the monthly hazard h(m | x) (scikit-learn's contract);
    `survival(X)` gives S(1..24) per row. Early stopping on the subscribers of a seeded
    fifth held out from the person-month rows."""

    def __init__(self, *, config: ChurnConfig = ChurnConfig(), seed: int = 7, threads: int = 2):
        self.config = config
        self.seed = seed
        self.threads = threads

    def input_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        frame = model_frame(X).copy()
        frame[MONTHS_AHEAD] = X[MONTHS_AHEAD].to_numpy(dtype=float)
        return frame

    def fit(
        self,
        frame: pd.DataFrame,
        churn_label: str,
        sample_weight=None,
        follow_up: pd.DataFrame | None = None,
    ) -> SurvivalModel:
        """`sample_weight` per row of `frame` (inverse inclusion probability; each of its
        person-months weighs as much); `follow_up` as `person_months` reads it."""
        w = np.ones(len(frame)) if sample_weight is None else np.asarray(sample_weight, float)
        rows = person_months(frame.assign(**{_WEIGHT: w}), churn_label, follow_up)
        rng = np.random.default_rng(self.seed)
        ids = rows["subscriber_id"].unique()
        held = set(rng.choice(ids, size=max(1, len(ids) // 5), replace=False).tolist())
        val = rows["subscriber_id"].isin(held)
        params = booster_params(self.config, self.seed, self.threads) | {
            "objective": "binary", "metric": "binary_logloss"}  # fmt: skip
        self._train(params, rows[~val], rows.loc[~val, "event"], rows[val],
                    rows.loc[val, "event"], self.config.max_rounds,
                    self.config.early_stopping_rounds, rows.loc[~val, _WEIGHT].to_numpy(),
                    rows.loc[val, _WEIGHT].to_numpy())  # fmt: skip
        self.months_seen_ = int(rows[MONTHS_AHEAD].max())
        return self

    def survival(self, X: pd.DataFrame, months: int = MONTHS) -> np.ndarray:
        """S(m | x) for m = 1..months, one row per row of X."""
        inputs = self.input_frame(X.assign(**{MONTHS_AHEAD: 1.0}))
        h = np.empty((len(X), months))
        for m in range(1, months + 1):
            inputs[MONTHS_AHEAD] = float(m)
            h[:, m - 1] = self.booster_.predict(inputs, num_iteration=self.best_iteration_)
        return survival_from_hazards(h)
