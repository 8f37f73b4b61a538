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

import json
import tempfile
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.artefacts.survival import (
    MONTHS,
    MONTHS_AHEAD,
    SIGMOID_LINE,
    binary_sigmoid,
    survival_from_hazards,
)
from features.vector import model_frame
from training.calibrate import fit_hazard_platt
from training.config import ChurnConfig
from training.models import _Booster, booster_params

_WEIGHT = "_person_month_weight"
FIRST_MONTH_SPLIT = 1.5  # every tree's root: month 1 on its left, the later months on its right


def train_first_month_apart(params: dict, column: int, train) -> lgb.Booster:
    """`train(params)` with every tree's root forced to split `months_ahead` (input column
    `column`) at `FIRST_MONTH_SPLIT`: the first month and the later ones grow separate
    subtrees.

    Why: month 1 is the churn model's job, largely how long the subscriber has been idle; in
    the later months only those who stayed through month 1 remain, and a tree shared by all
    months carries the first month's ranking over to them. Forced splits are LightGBM's own
    (`forcedsplits_filename`); the file's temporary path is dropped from the model's text,
    whose bytes then depend only on the data and the seed. A forced split needs its
    feature's histogram in every tree, so a `feature_fraction` below 1 samples features per
    node (`feature_fraction_bynode`) instead of per tree (per tree, a tree without
    `months_ahead` stops LightGBM with `best_split_info.left_count > 0`)."""
    share = params.get("feature_fraction", 1.0)
    if share < 1.0:
        params = params | {"feature_fraction": 1.0, "feature_fraction_bynode": share}
    with tempfile.TemporaryDirectory(prefix="retain-survival-") as tmp:
        path = Path(tmp) / "forced_split.json"
        path.write_text(json.dumps({"feature": column, "threshold": FIRST_MONTH_SPLIT}))
        booster = train(params | {"forcedsplits_filename": str(path)})
    text = booster.model_to_string(num_iteration=booster.best_iteration or None)
    text = text.replace(f"[forcedsplits_filename: {path}]", "[forcedsplits_filename: ]")
    return lgb.Booster(model_str=text)


def with_platt(booster: lgb.Booster, slope: float, intercept: float) -> lgb.Booster:
    """The booster predicting sigmoid(slope x raw + intercept) (a binary one): LightGBM's
    binary objective predicts sigmoid(s x raw), s its `sigmoid` setting in the model text,
    which becomes `slope`, and every leaf of the first tree (each row reaches one) gains
    intercept / slope. Every reader of the file (LightGBM, `serving.survival_curves`) then
    predicts the calibrated hazard."""
    text = booster.model_to_string()
    if binary_sigmoid(text) is None or booster.num_model_per_iteration() != 1:
        raise ValueError("survival: a Platt map is written into a binary booster only")
    text = SIGMOID_LINE.sub(f"objective=binary sigmoid:{slope!r}", text, count=1)
    out = lgb.Booster(model_str=text)
    kept = binary_sigmoid(out.model_to_string())  # as LightGBM writes it
    shift = intercept / kept
    for leaf in range(out.dump_model()["tree_info"][0]["num_leaves"]):
        out.set_leaf_output(0, leaf, out.get_leaf_output(0, leaf) + shift)
    return lgb.Booster(model_str=out.model_to_string())


def outcome_months(rows: pd.DataFrame, cutoffs) -> np.ndarray:
    """Per person-month row, the index in `cutoffs` of the month whose churn it records
    (origin's index + months_ahead - 1)."""
    index = {c: i for i, c in enumerate(sorted(cutoffs))}
    return rows["as_of"].map(index).to_numpy() + rows[MONTHS_AHEAD].to_numpy().astype(int) - 1


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
    `survival(X)` gives S(1..24) per row.

    Chosen by cross-validation inside the training snapshots (the person-month log-loss of
    the latest month's churn, fitted on the months before it): every tree's root splits
    month 1 from the later months (`train_first_month_apart`); the number of rounds is
    early-stopped on the latest month's rows (later than the rest, as the churn model is
    validated on a later snapshot) in two stages, as the months want different numbers of
    rounds (month 1 two to three times as many as the later months, which overfit past
    theirs): all months until the later months' log-loss stops falling, then month 1 alone
    (the later months weighted 0) until its own stops falling; then the booster is refitted
    on every row, each stage with its rounds scaled to the rows; and the hazard is
    Platt-calibrated on the latest month's rows of the held-out fit
    (`training.calibrate.fit_hazard_platt`), the map written into the booster itself
    (`with_platt`), so serving reads calibrated hazards from the one file."""

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
        month = outcome_months(rows, (frame if follow_up is None else follow_up)["as_of"].unique())
        val = month == month.max()
        if val.all():
            raise ValueError(
                "survival: the person-month rows record the churn of one month only; the hazard "
                "model needs at least two monthly snapshots (it validates on the latest month)"
            )
        X, y, w = self.input_frame(rows), rows["event"].to_numpy(), rows[_WEIGHT].to_numpy()
        params = booster_params(self.config, self.seed, self.threads) | {
            "objective": "binary", "metric": "binary_logloss"}  # fmt: skip
        column = X.columns.get_loc(MONTHS_AHEAD)

        later = X[MONTHS_AHEAD].to_numpy() > FIRST_MONTH_SPLIT
        first_only = np.where(later, 0.0, w)  # stage 2: the later months weigh nothing

        def boost(fit, weight, valid=None, rounds=None, init=None):
            """LightGBM on the rows `fit` (continuing `init`), early-stopped on the rows
            `valid`, or for `rounds` rounds."""

            def train(p: dict) -> lgb.Booster:
                data = lgb.Dataset(X[fit], y[fit], weight=weight[fit], free_raw_data=False)
                if rounds is not None:
                    return lgb.train(p, data, rounds, init_model=init)
                check = lgb.Dataset(X[valid], y[valid], weight=w[valid], reference=data)
                stop = lgb.early_stopping(self.config.early_stopping_rounds, verbose=False)
                return lgb.train(p, data, self.config.max_rounds, init_model=init,
                                 valid_sets=[check], callbacks=[stop])  # fmt: skip

            return train_first_month_apart(params, column, train)

        # Stage 1: rounds early-stopped on the latest month's later-month rows; stage 2 adds
        # rounds for month 1 alone (the later months weigh 0, so every tree's right subtree
        # outputs 0 for them), early-stopped on the latest month's month-1 rows.
        on_later = val & later if (val & later).any() else val
        stage1 = boost(~val, w, valid=on_later)
        held = boost(~val, first_only, valid=val & ~later, init=stage1)
        slope, intercept = fit_hazard_platt(held.predict(X[val], raw_score=True), y[val], w[val])
        # The rounds that were best on the latest month, scaled to all the rows, refitted on
        # all of them: the latest month, the most like the months to come, is not left out.
        rounds1 = max(1, round(stage1.num_trees() * len(y) / int((~val).sum())))
        extra = held.num_trees() - stage1.num_trees()
        rounds2 = round(extra * int((~later).sum()) / int((~val & ~later).sum()))
        all_rows = np.ones(len(y), dtype=bool)
        booster = boost(all_rows, w, rounds=rounds1)
        if rounds2 > 0:
            booster = boost(all_rows, first_only, rounds=rounds2, init=booster)
        self.booster_ = with_platt(booster, slope, intercept)
        self.best_iteration_ = self.booster_.num_trees()
        self.platt_ = (slope, intercept)
        self.rounds_ = (rounds1, max(rounds2, 0))  # (all months, month 1 alone)
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
