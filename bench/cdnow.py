"""CDNOW as a recharge-only operator, through the code `retain train` and `retain score` run.

    python -m bench.cdnow

CDNOW (lifetimes' `CDNOW_master.txt`, 23,570 customers, checksummed) becomes two tables:
`subscribers` (id, activation date = first purchase) and `recharges` (one row per purchase,
dollars x 25,000 VND, a `topup_id` sequence so that repeat purchases on one day stay).

1. Rolling origins (`origins`): every quarter from 1997-07-01 to 1998-01-01, horizons of 13,
   26 and 39 weeks. Retain is the value model `retain train` fits
   (`training.fold.fit_value`: LightGBM on the snapshot features with the BG/NBD + Gamma-
   Gamma forecasts of `training.btyd` as features and as its base margin, trained on the
   horizon it predicts) on an extract that ends at the origin: its training labels end by
   the validation cutoff and the validation labels by the origin, as in the product. An
   (origin, horizon) the data cannot train that way is listed in `not_evaluated` with the
   reason, not approximated. BG/NBD + Gamma-Gamma and Pareto/NBD + Gamma-Gamma (lifetimes,
   set up as its documentation does) are fitted in the same run on the same history. Every
   customer seen before the origin is scored.
2. The product path (`product_path`): `retain validate`, `retain train`, `retain promote`
   (`--force`, where the promotion rule refused a first model) and `retain score` through the
   command line on the extract cut at 1998-01-01, scored for the next 90 days.

No setting is chosen on these figures: the models run with the product's defaults (the
snapshot's eligibility widened to every customer seen, as the README tells a CDNOW user).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.fingerprint import write_result
from training.metrics import normalized_gini, rmse

log = logging.getLogger(__name__)
MASTER = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_master.txt"
MASTER_SHA256 = "eff6889ed364c5199d6eacbbeb7a6d559971df4406ac876f322c373f00a072ef"
VND_PER_DOLLAR = 25_000
DATA_END = date(1998, 7, 1)  # exclusive: the log ends 1998-06-30
ORIGINS = (date(1997, 7, 1), date(1997, 10, 1), date(1998, 1, 1))
HORIZON_WEEKS = (13, 26, 39)
FIRST_CUTOFF = date(1997, 2, 1)  # the first monthly snapshot with any history
ELIGIBILITY_DAYS = 540  # every customer seen (CDNOW's cohort joined in Q1 1997)
PRODUCT_AS_OF, PRODUCT_DAYS = date(1998, 1, 1), 90


def read_log(path: Path = MASTER) -> pd.DataFrame:
    """Purchases: customer_id, day, spend (dollars); one row per purchase."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MASTER_SHA256:
        raise ValueError(f"{path}: sha256 {digest}, expected {MASTER_SHA256}")
    t = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        skiprows=1,
        names=["customer_id", "date", "cds", "spend"],
        dtype={"date": str},
    )
    t["day"] = pd.to_datetime(t["date"], format="%Y%m%d")
    return t[["customer_id", "day", "spend"]]


def write_extract(purchases: pd.DataFrame, root: Path, end: date) -> Path:
    """The recharge-only extract of the purchases before `end` (a folder `retain` reads)."""
    p = purchases[purchases["day"] < pd.Timestamp(end)].sort_values(["customer_id", "day"])
    subs = p.groupby("customer_id", as_index=False)["day"].min()
    tables = {
        "subscribers": pa.table(
            {
                "subscriber_id": subs["customer_id"].astype("int64"),
                "activation_date": pa.array(subs["day"].dt.date, pa.date32()),
            }
        ),
        "recharges": pa.table(
            {
                "subscriber_id": p["customer_id"].astype("int64"),
                "ts": pa.array(p["day"], pa.timestamp("s")),
                "amount_vnd": (p["spend"] * VND_PER_DOLLAR).round().astype("int64"),
                "topup_id": p.groupby("customer_id").cumcount().astype(str),
            }
        ),
    }
    for name, table in tables.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(table, root / name / "part-00000.parquet")
    (root / "manifest.json").write_text(json.dumps({"data_end": end.isoformat()}))
    return root


def actual_spend(purchases: pd.DataFrame, start: date, days: int, ids) -> np.ndarray:
    s = pd.Timestamp(start)
    w = purchases[(purchases["day"] >= s) & (purchases["day"] < s + pd.Timedelta(days=days))]
    return w.groupby("customer_id")["spend"].sum().reindex(ids, fill_value=0.0).to_numpy()


def btyd_reference(purchases: pd.DataFrame, origin: date, weeks: float, model: str):
    """lifetimes' BG/NBD or Pareto/NBD with Gamma-Gamma, as its documentation sets them up
    (summary_data_from_transaction_data in weeks, repeat-purchase monetary values)."""
    history = purchases[purchases["day"] < pd.Timestamp(origin)]
    rfm = lifetimes.utils.summary_data_from_transaction_data(
        history,
        "customer_id",
        "day",
        "spend",
        observation_period_end=pd.Timestamp(origin) - pd.Timedelta(days=1),
        freq="D",
    )
    rfm[["recency", "T"]] = rfm[["recency", "T"]] / 7.0
    fitter = lifetimes.BetaGeoFitter() if model == "bgnbd" else lifetimes.ParetoNBDFitter()
    fitter.fit(rfm["frequency"], rfm["recency"], rfm["T"])
    n = fitter.conditional_expected_number_of_purchases_up_to_time(
        weeks, rfm["frequency"], rfm["recency"], rfm["T"]
    )
    rep = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    gg = lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    spend = gg.conditional_expected_average_profit(rfm["frequency"], rfm["monetary_value"])
    return pd.Series(np.asarray(n) * np.asarray(spend), index=rfm.index)


def scores(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "gini": round(float(normalized_gini(actual, predicted)), 4),
        "rmse": round(float(rmse(actual, predicted)), 3),
        "total_vs_actual": round(float(predicted.sum() / actual.sum() - 1), 4),
    }


def _months(first: date, last: date) -> list[date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def retain_origin(purchases: pd.DataFrame, origin: date, days: int, work: Path):
    """The value model `retain train` fits, at `origin` for `days`, on data before `origin`;
    None (with the reason) when no training snapshot's labels end in time."""
    from features.query import SnapshotConfig
    from features.snapshot import build_snapshot
    from features.training_set import build_training_set
    from training.config import TrainConfig
    from training.fold import fit_value

    cutoffs = [c for c in _months(FIRST_CUTOFF, origin) if c + timedelta(days=days) <= origin]
    validation = cutoffs[-1] if cutoffs else None
    train = [c for c in cutoffs if validation and c + timedelta(days=days) <= validation]
    if not train:
        return None, (
            f"no monthly snapshot from {FIRST_CUTOFF} has a {days}-day label window "
            "ending by a validation cutoff whose own window ends by the origin"
        )
    snap = SnapshotConfig(
        value_horizon_days=days,
        churn_horizon_days=30,
        eligibility_days=ELIGIBILITY_DAYS,
        lookback_days=ELIGIBILITY_DAYS,
    )
    raw = write_extract(purchases, work / f"raw-{origin}-{days}", origin)
    frame, _ = build_training_set(raw, [*train, validation], snap)
    test = build_snapshot(raw, origin, snap)
    config = TrainConfig(train_from=train[0], test_as_of=origin, snapshot=snap)
    fold = fit_value(pd.concat([frame, test], ignore_index=True), validation, origin, config)
    predicted = pd.Series(fold.scores["model"] / VND_PER_DOLLAR, index=fold.test["subscriber_id"])
    return predicted, None


def product_path(purchases: pd.DataFrame, work: Path) -> dict:
    """`retain validate/train/promote/score` on the extract cut at 1998-01-01."""
    from features.cli import main

    raw = write_extract(purchases, work / "product-raw", PRODUCT_AS_OF)
    config = work / "cdnow.toml"
    config.write_text(
        'train_from = "1997-02-01"\ntest_as_of = "1997-10-01"\n[snapshot]\n'
        f"value_horizon_days = {PRODUCT_DAYS}\neligibility_days = {ELIGIBILITY_DAYS}\n"
        f"lookback_days = {ELIGIBILITY_DAYS}\n"
    )
    os.environ["RETAIN_HOME"] = str(work / "home")
    os.environ.pop("MLFLOW_TRACKING_URI", None)

    def retain(*args: str, ok=(0,)) -> int:
        try:
            main(list(args))
            return 0
        except SystemExit as e:
            if (e.code or 0) not in ok:
                raise RuntimeError(f"retain {' '.join(args)}: exit {e.code}") from e
            return e.code or 0

    retain("validate", "--raw", str(raw))
    retain("train", "--raw", str(raw), "--config", str(config))
    for kind in ("churn", "value"):  # a refused first model is promoted as the README says
        retain("promote", kind, "--force", "--reason", "CDNOW benchmark", ok=(0, 1))
    out = work / "scores"
    retain(
        "score",
        "--as-of",
        PRODUCT_AS_OF.isoformat(),
        "--raw",
        str(raw),
        "--out",
        str(out),
        "--no-materialise",
        "--no-reasons",
    )
    scored = pd.read_parquet(
        out / "scores.parquet", columns=["subscriber_id", "predicted_value_vnd"]
    )
    ids = np.sort(purchases["customer_id"].unique())
    predicted = scored.set_index("subscriber_id")["predicted_value_vnd"] / VND_PER_DOLLAR
    predicted = predicted.reindex(ids, fill_value=0.0).to_numpy()
    actual = actual_spend(purchases, PRODUCT_AS_OF, PRODUCT_DAYS, ids)
    weeks = PRODUCT_DAYS / 7
    refs = {
        m: btyd_reference(purchases, PRODUCT_AS_OF, weeks, m).reindex(ids).to_numpy()
        for m in ("bgnbd", "pareto")
    }
    return {
        "as_of": PRODUCT_AS_OF.isoformat(),
        "horizon_days": PRODUCT_DAYS,
        "scored_share": round(len(scored) / len(ids), 4),
        "retain": scores(actual, predicted),
        "bgnbd_gg": scores(actual, refs["bgnbd"]),
        "pareto_gg": scores(actual, refs["pareto"]),
    }


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    purchases = read_log()
    origins, skipped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for origin in ORIGINS:
            for weeks in HORIZON_WEEKS:
                days = weeks * 7
                if origin + timedelta(days=days) > DATA_END:
                    skipped.append(
                        {
                            "origin": origin.isoformat(),
                            "horizon_weeks": weeks,
                            "reason": "the log ends before the horizon does",
                        }
                    )
                    continue
                predicted, why = retain_origin(purchases, origin, days, work)
                if predicted is None:
                    skipped.append(
                        {"origin": origin.isoformat(), "horizon_weeks": weeks, "reason": why}
                    )
                    continue
                ids = predicted.index.to_numpy()
                actual = actual_spend(purchases, origin, days, ids)
                row = {
                    "origin": origin.isoformat(),
                    "horizon_weeks": weeks,
                    "customers": len(ids),
                    "retain": scores(actual, predicted.to_numpy()),
                }
                for key, model in (("bgnbd_gg", "bgnbd"), ("pareto_gg", "pareto")):
                    ref = btyd_reference(purchases, origin, weeks, model).reindex(ids).to_numpy()
                    row[key] = scores(actual, ref)
                log.info("%s", row)
                origins.append(row)
        product = product_path(purchases, work)
    log.info("product path: %s", product)
    result = {
        "dataset": "CDNOW_master (lifetimes 0.11.3)",
        "origins": origins,
        "not_evaluated": skipped,
        "product_path": product,
        "mean_over_origins": {
            k: {
                m: round(float(np.mean([o[k][m] for o in origins])), 4)
                for m in ("gini", "rmse", "total_vs_actual")
            }
            for k in ("retain", "bgnbd_gg", "pareto_gg")
        }
        if origins
        else {},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    path = write_result(
        "cdnow",
        result,
        code=(
            "bench/cdnow.py",
            "training",
            "features/artefacts/btyd.py",
            "features/families",
            "serving/scoring.py",
        ),
        settings={
            "origins": [o.isoformat() for o in ORIGINS],
            "horizon_weeks": HORIZON_WEEKS,
            "eligibility_days": ELIGIBILITY_DAYS,
            "product_as_of": str(PRODUCT_AS_OF),
        },
    )
    print(
        json.dumps(
            {k: result[k] for k in ("origins", "product_path", "mean_over_origins")}, indent=1
        )
    )
    print(f"results -> {path}")


if __name__ == "__main__":
    main()
