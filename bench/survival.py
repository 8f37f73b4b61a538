"""Time to churn on the synthetic operator: Retain's survival curves beside a Cox model and
the generator's own hazards, in one run; beside them the observable ceiling, the best a model
of the features Retain sees can do (`bench.survival_ceiling`), and how far "within 10% of
the truth" is from it (`reachability`).

    python -m bench.survival [--subscribers 10000] [--work DIR]

Retain is `training.survival.SurvivalModel` as `retain train` fits it (LightGBM on the
person-month rows of the monthly snapshots), fitted on the snapshots before the origin
2025-07-01 and asked for S(1..6) of every subscriber eligible then. The reference is
lifelines' `CoxPHFitter` on the same features (numerics, nulls as the training median,
constant columns dropped, penalizer 0.1 as lifelines suggests for many covariates), fitted on
the same person-level durations. The truth is the generator's own S(m) as of the origin (the
truth's `survival` table: the probability of a 0 churn label in each of the first m monthly
windows, from the hazards the simulation applies month after month,
`features/synthetic/survival_truth.py`), the best any model could say.

Both are scored on the churn months observed over 2025-07..12 (first month with the churn
label, or censored at the data end): the integrated Brier score over months 1..6 with
inverse-probability-of-censoring weights (Graf et al. 1999), and Harrell's concordance of the
expected months active within the six.

Months are discrete: a row censored at month d (the data end) was seen active through
month d, so it counts as alive at t <= d, and a status at month t weighs 1/G(t-1), the
censoring survival just before t (Graf et al.'s G(t-), censoring after the month's status).
The first version of this benchmark counted a row censored at month 6 neither alive nor
churned at month 6, so that month's term only rewarded a low S(6) for the churners;
`diagnostics` keeps the mean before the last month beside the month-by-month scores.

`diagnostics` says where each curve gains or loses: the Brier score month by month and its
mean before the last month, the mean S(m) beside Kaplan-Meier's, and the ROC-AUC of the
hazard of month m among the rows still active.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import concordance_index
from sklearn.metrics import roc_auc_score

from bench.fingerprint import write_result
from bench.survival_ceiling import observable_ceiling, reachability
from features.definitions import NUMERIC
from features.query import SnapshotConfig
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import read_truth
from features.training_set import build_training_set
from training.survival import SurvivalModel, person_months

ORIGIN = date(2025, 7, 1)
CUTOFFS = [date(2025, m, 1) for m in range(2, 13)]  # churn labels to 2025-12-31
MONTHS = 6
SEED = 7


def durations(frame: pd.DataFrame, label: str, origin_rows: pd.DataFrame) -> pd.DataFrame:
    """Per origin row: months to the first churn month (`duration`) and `event` (1 churned,
    0 censored at the data end)."""
    rows = person_months(frame, label)
    rows = rows.merge(origin_rows[["subscriber_id", "as_of"]], on=["subscriber_id", "as_of"])
    g = rows.groupby(["subscriber_id", "as_of"])
    return pd.DataFrame(
        {"duration": g["months_ahead"].max(), "event": g["event"].max()}
    ).reset_index()


def brier_ipcw(s: np.ndarray, duration: np.ndarray, event: np.ndarray) -> float:
    """Integrated Brier score over months 1..S.shape[1], IPCW (Graf et al. 1999)."""
    return float(np.mean(brier_by_month(s, duration, event)))


def brier_by_month(s: np.ndarray, duration: np.ndarray, event: np.ndarray) -> list[float]:
    """The IPCW Brier score at each month t = 1..S.shape[1] (the integrand of `brier_ipcw`)."""
    km = KaplanMeierFitter().fit(duration, 1 - event)

    def g_before(t):
        """G(t-): the chance of being still under observation when month t's status is
        seen. In discrete months a row censored at d was seen active through month d (its
        censoring comes after that month's status), so the weight of a status at t is
        1/G(t-1), as Graf et al.'s G(t-) for ties of an event and a censoring."""
        return np.maximum(km.survival_function_at_times(t - 1).to_numpy(), 1e-6)

    scores = []
    for t in range(1, s.shape[1] + 1):
        died = (duration <= t) & (event == 1)
        alive = (duration > t) | ((duration == t) & (event == 0))
        w_died = np.where(died, 1.0 / g_before(np.minimum(duration, t)), 0.0)
        w_alive = np.where(alive, 1.0 / g_before(np.array([t]))[0], 0.0)
        st = s[:, t - 1]
        scores.append(float(np.mean(st**2 * w_died + (1 - st) ** 2 * w_alive)))
    return scores


def diagnostics(s: np.ndarray, d: pd.DataFrame) -> dict:
    """Where a curve gains or loses, month by month: its IPCW Brier score, and their mean
    before the last month, its mean S(m) (beside Kaplan-Meier's), and the ROC-AUC of its hazard
    h(m) = 1 - S(m)/S(m-1) among the rows still active at the start of month m (but the
    last)."""
    duration, event = d["duration"].to_numpy(), d["event"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.nan_to_num(np.c_[1 - s[:, :1], 1 - s[:, 1:] / s[:, :-1]], nan=1.0)
    auc = [roc_auc_score(((duration == m) & (event == 1))[duration >= m], h[duration >= m, m - 1])
           for m in range(1, s.shape[1])]  # fmt: skip
    brier = brier_by_month(s, duration, event)
    return {
        "brier_by_month": [round(b, 5) for b in brier],
        "integrated_brier_before_last_month": round(float(np.mean(brier[:-1])), 5),
        "mean_survival_by_month": [round(float(v), 4) for v in s.mean(axis=0)],
        "hazard_auc_by_month": [round(float(a), 4) for a in auc],
    }


def evaluate(s: np.ndarray, d: pd.DataFrame) -> dict[str, float]:
    return {
        "integrated_brier": round(
            brier_ipcw(s, d["duration"].to_numpy(), d["event"].to_numpy()), 5
        ),
        "concordance": round(float(concordance_index(d["duration"], s.sum(axis=1), d["event"])), 4),
    }


def cox_curves(train: pd.DataFrame, test: pd.DataFrame, months: int) -> np.ndarray:
    cols = [c for c in NUMERIC if train[c].notna().any() and train[c].nunique() > 1]
    med = train[cols].median()
    X = train[cols].fillna(med)
    keep = [c for c in cols if X[c].std() > 0]
    fit = X[keep].assign(duration=train["duration"].to_numpy(), event=train["event"].to_numpy())
    cph = CoxPHFitter(penalizer=0.1).fit(fit, "duration", "event")
    sf = cph.predict_survival_function(test[keep].fillna(med), times=range(1, months + 1))
    return sf.to_numpy().T


def true_survival(truth: Path, test: pd.DataFrame) -> np.ndarray:
    """The truth's S(1..MONTHS) of each test row (as of the origin), in the rows' order."""
    s = read_truth(truth, "survival")
    s = s[(s["as_of"] == ORIGIN) & (s["months_ahead"] <= MONTHS)]
    wide = s.pivot(index="subscriber_id", columns="months_ahead", values="survival")
    curves = wide.reindex(index=test["subscriber_id"], columns=range(1, MONTHS + 1))
    if curves.isna().any().any():
        raise ValueError(f"truth survival: missing rows or months for the origin {ORIGIN}")
    return curves.to_numpy()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=10_000)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    work = args.work or Path(tempfile.mkdtemp(prefix="retain-survival-"))
    gen = GeneratorConfig(subscribers=args.subscribers)
    raw = work / "raw"
    if not raw.exists():
        generate_operator(gen, raw)
    t0 = time.perf_counter()
    snap = SnapshotConfig(value_horizon_days=30)  # labels of 30 days reach 2025-12-31
    frame, _ = build_training_set(raw, CUTOFFS, snap)
    label = snap.churn_label
    before = frame[frame["as_of"] < ORIGIN]
    model = SurvivalModel(seed=SEED).fit(before, label)
    test = frame[frame["as_of"] == ORIGIN].reset_index(drop=True)
    d = durations(frame[frame["as_of"] >= ORIGIN], label, test)
    test = test.merge(d, on=["subscriber_id", "as_of"])
    retain = model.survival(test, MONTHS)
    # Cox on person-level durations from the training origins, the same rows Retain saw
    train = before.merge(durations(before, label, before), on=["subscriber_id", "as_of"])
    train = train.sample(n=min(len(train), 30_000), random_state=SEED)
    cox = cox_curves(train, test, MONTHS)
    true_s = true_survival(raw.parent / "truth", test)
    ceiling = observable_ceiling(test, true_s, SEED)
    result = {
        "subscribers": args.subscribers,
        "origin": ORIGIN.isoformat(),
        "months": MONTHS,
        "test_rows": len(test),
        "event_share": round(float(test["event"].mean()), 4),
        "retain": evaluate(retain, test),
        "cox": evaluate(cox, test),
        "truth": evaluate(true_s, test),
        "observable_ceiling": evaluate(ceiling, test),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    km = KaplanMeierFitter().fit(test["duration"], test["event"])
    result["diagnostics"] = {
        "kaplan_meier_by_month": [
            round(float(v), 4) for v in km.survival_function_at_times(range(1, MONTHS + 1))
        ],
        **{name: diagnostics(c, test) for name, c in (("retain", retain), ("cox", cox),
                                                      ("truth", true_s),
                                                      ("observable_ceiling", ceiling))},
    }  # fmt: skip
    result["reachability"] = reachability(
        result["retain"], result["observable_ceiling"], result["truth"]
    )
    r, c, t = result["retain"], result["cox"], result["truth"]
    result["acceptance"] = {
        "retain_ibs_le_cox": r["integrated_brier"] <= c["integrated_brier"],
        "retain_ibs_within_10pct_of_truth": r["integrated_brier"] <= 1.10 * t["integrated_brier"],
    }
    path = write_result(
        "survival",
        result,
        code=(
            "bench/survival.py",
            "bench/survival_ceiling.py",
            "training/survival.py",
            "training/calibrate.py",
            "features/artefacts/survival.py",
        ),
        settings={"origin": ORIGIN.isoformat(), "months": MONTHS, "seed": SEED},
        generator={"subscribers": args.subscribers, "seed": gen.seed, "months": gen.months},
    )
    print(result)
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
