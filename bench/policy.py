"""Offer policies on the default synthetic operator, measured against its truth.

    python -m bench.policy [--budgets 20000000 50000000 150000000] [--earlier 2025-11-01]
    python -m bench.policy --scenarios none default strong --sizes 20000 200000

Scenarios (`scenarios` in the result): the generator's effect scenarios (`none`, `default`,
`strong`, see `features.synthetic.campaigns`) at each size, each with a budget of 1,000 VND
a subscriber: Retain's realised net gain and contacts beside the observable oracle (the same
planner on a LightGBM cross-fitted on the truth's gains from the features Retain sees,
`bench.observable.observable_oracle`, with its quality against the truth), the oracle and the
highest churn risk. Without options, the default scenario at the default size only.

On the default operator (the default scenario at 20,000 subscribers, seed 42, when it is
run) with its truth folder:
1. churn and value models fitted as `retain train` does, and the offer-uplift model (the
   learner `retain train-uplift` fits by default ("auto": the pooled save-rate learner or the
   DR-learner by out-of-fold Qini), and the X-learner for
   reference) on the campaigns whose 30-day label window ended before the decision date,
   the latest two of them held out for Qini;
2. the eligible base as of the decision date scored through serving's one scoring path
   (calibrated churn, value if retained, best offers and their expected gains);
3. for each budget, the realised net gain (from the truth: saved churn probability x value
   if retained - expected cost) of Retain's plan, "highest churn risk", "highest value at
   risk" and random (all three sending the offer that worked best on average in past
   campaigns), and the oracle (planning on the true gains); and two ceilings that read the
   truth to plan: the true churn probability and value if retained with each offer's
   average save rate, then with the average per latent uplift type. They show how much of
   the oracle is reachable without the individual response no behaviour reveals.
Also the uplift model's Qini on the held-out campaigns beside random rankings (mean and
spread) and beside the truth's own uplift used as the score (the noise floor: what a
perfect model could show on so few rows). The truth is read only to evaluate.

"At least 1.5x the highest-churn-risk policy" is read as: Retain's net gain is positive
and at least 1.5x the comparator's when the comparator's is positive; a comparator that
loses money is beaten by any positive gain (a ratio of a gain to a loss means nothing).
Writes bench/results/policy.json (through `bench.fingerprint.write_result`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from bench.fingerprint import write_result
from features.artefacts.calibration import Calibration
from features.definitions import feature_schema_version
from features.snapshot import build_snapshot
from features.synthetic.campaigns import EFFECTS
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.truth import read_truth
from features.training_set import build_training_set
from serving.decision import Catalogue, DecisionPolicy, plan_campaign
from serving.policies import compare_policies, realised_gain
from serving.registry import Models, PinnedModel, PinnedUplift
from serving.scoring import OFFER_GAINS, score_columns
from training.config import TrainConfig
from training.pipeline import fit_and_evaluate
from training.uplift.data import campaign_history
from training.uplift.learners import UpliftConfig
from training.uplift.metrics import expected_qini, qini_coefficient
from training.uplift.pipeline import UpliftTrainConfig, evaluate, fit_learner, pooled_score

log = logging.getLogger("bench.policy")
DECISION_DATE = date(2025, 12, 1)
# One date earlier: the share of the oracle moves a lot from date to date (a handful of
# subscribers carry most of the oracle's gain), so it is reported too. The models are the
# same: every training label ends before it; only the value model's early stopping reads
# revenue into November (the 90-day window of the 2025-09-01 validation snapshot).
EARLIER_DATES = (date(2025, 11, 1),)
CACHE = Path(os.environ.get("RETAIN_BENCH_CACHE", "/tmp/retain-bench")) / "policy"
RESULTS = Path(__file__).parent / "results" / "policy.json"


def operator(config: GeneratorConfig = GeneratorConfig()) -> tuple[Path, Path]:
    """The operator's raw and truth folders, generated once per configuration and cached."""
    home = CACHE if config == GeneratorConfig() else CACHE / f"subscribers-{config.subscribers}"
    if config.effect != "default":
        home = CACHE / f"{config.effect}-{config.subscribers}"
    raw, truth = home / "raw", home / "truth"
    stamp = home / "stamp.json"
    want = {"config": repr(config)}
    if not (stamp.exists() and json.loads(stamp.read_text()) == want):
        generate_operator(config, raw, truth=truth)
        stamp.write_text(json.dumps(want))
    return raw, truth


def churn_calibration(fitted) -> Calibration:
    """The calibration training fitted, when it exposes one (identity otherwise)."""
    cal = getattr(fitted, "calibration", None) or getattr(fitted.churn, "calibration_", None)
    return cal if isinstance(cal, Calibration) else Calibration()


def ratio(t: pd.DataFrame) -> float | None:
    """Retain's net gain over the highest-churn-risk policy's, when that one is positive."""
    comparator = t.loc["highest_churn_risk", "net_gain_vnd"]
    return float(t.loc["retain", "net_gain_vnd"] / comparator) if comparator > 0 else None


def beats(t: pd.DataFrame) -> bool:
    """The 1.5x criterion as read in the module docstring."""
    retain, comparator = (
        t.loc["retain", "net_gain_vnd"],
        t.loc["highest_churn_risk", "net_gain_vnd"],
    )
    return bool(retain > 0 and retain >= 1.5 * max(comparator, 0.0))


def offer_truth(truth_dir: Path) -> pd.DataFrame:
    """The truth per (subscriber, month, offer): the offer's effect, cost and value if
    retained, with the untreated churn probability; `as_of` as a date. Read once a run."""
    effect = read_truth(truth_dir, "offer_effect")
    churn = read_truth(truth_dir, "churn_probability")
    keys = ["subscriber_id", "as_of"]
    t = effect.merge(churn[[*keys, "churn_probability_30d"]], on=keys)
    t["as_of"] = pd.to_datetime(t["as_of"]).dt.date
    return t


def true_row_uplift(test: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The truth's uplift of every offer (columns) for each held-out campaign row, as of
    the day it was sent."""
    t = truth.assign(uplift=truth["churn_probability_30d"] - truth["churn_probability_30d_treated"])
    wide = t.pivot_table(index=["subscriber_id", "as_of"], columns="offer_id", values="uplift")
    day = test["sent_day"].map(lambda d: pd.Timestamp(d).date())
    u = wide.reindex(pd.MultiIndex.from_arrays([test["subscriber_id"], day])).fillna(0.0)
    return u.reset_index(drop=True).set_axis(test.index)


def qini_against_truth(test: pd.DataFrame, truth: pd.DataFrame, scores: dict, seed: int) -> dict:
    """Realised-outcome Qini of the truth's own uplift (the noise floor), and the expected
    Qini (truth's uplift as the outcome) of each pooled score, random and the truth: the
    rows' ranking without the noise of who happened to churn."""
    truth_score = pooled_score(test, true_row_uplift(test, truth))
    retained = 1.0 - test["churned"].to_numpy(dtype=float)
    floor = qini_coefficient(retained, test["treated"].to_numpy(dtype=bool), truth_score)
    # The expected outcome of each row as it was run (the uplift of the offer sent if
    # treated, of the random offer it could have got if in control) is the truth's score.
    rng = np.random.default_rng(seed)
    random = [expected_qini(truth_score, rng.random(len(test))) for _ in range(200)]
    perfect = expected_qini(truth_score, truth_score)
    expected = {name: expected_qini(truth_score, s) for name, s in scores.items()}
    return {
        "realised_qini_true_uplift_as_score": round(floor, 5),
        "expected_qini": {
            **{k: round(v, 6) for k, v in expected.items()},
            "random": round(float(np.mean(random)), 6),
            "random_sd": round(float(np.std(random)), 6),
            "truth (perfect ranking)": round(perfect, 6),
        },
        "expected_qini_share_of_perfect": {k: round(v / perfect, 4) for k, v in expected.items()},
    }


def informed_gains(truth: pd.DataFrame, ids, offers: list[str], by: list[str]) -> pd.DataFrame:
    """Net gains a planner would expect if it knew each subscriber's true churn probability
    and value if retained, and each offer's save rate and expected cost only as averages
    over `by` (a list of truth columns, e.g. the latent uplift type): how far a perfect
    churn and value model takes planning without the individual response, which no
    behaviour shows (persuasion, affinity for the offer)."""
    t = truth[truth["subscriber_id"].isin(ids)].copy()
    t["saved"] = t["churn_probability_30d"] - t["churn_probability_30d_treated"]
    keys = ["offer_id", *by]
    g = t.groupby(keys)
    average = pd.DataFrame(
        {
            "rate": g["saved"].sum() / g["churn_probability_30d"].sum(),
            "cost": g["cost_vnd"].mean(),
        }
    )
    t = t.join(average, on=keys)
    t["gain"] = (
        t["rate"] * t["churn_probability_30d"] * t["expected_value_vnd_90d_if_retained"] - t["cost"]
    )
    wide = t.pivot(index="subscriber_id", columns="offer_id", values="gain")
    return wide.reindex(index=ids, columns=offers).reset_index(drop=True)


def ceilings(
    truth: pd.DataFrame, ids, offers: list[str], catalogue: Catalogue, budget: float
) -> pd.DataFrame:
    """Realised net gain of planning on `informed_gains`, without and with the uplift type."""
    policy = DecisionPolicy(budget_vnd=budget, control_share=0.0, campaign_id="eval")
    rows = {}
    for name, by in (
        ("ceiling: true churn and value", []),
        ("ceiling: true churn, value and uplift type", ["uplift_type"]),
    ):
        plan = plan_campaign(ids, informed_gains(truth, ids, offers, by), catalogue, policy)
        rows[name] = realised_gain(plan, truth[truth["subscriber_id"].isin(ids)])
    return pd.DataFrame(rows).T


def trained(config: GeneratorConfig) -> tuple[Path, pd.DataFrame, TrainConfig, object]:
    """The operator of `config` (cached), its offer truth, and the churn and value models
    fitted as `retain train` does."""
    raw, truth_dir = operator(config)
    train = TrainConfig()
    frame, _ = build_training_set(raw, train.cutoffs, train.snapshot)
    return raw, offer_truth(truth_dir), train, fit_and_evaluate(frame, train)


def earlier_dates(raw, truth, config, fitted, budgets, earlier: list[date]) -> dict:
    """The same policies at earlier decision dates (the models unchanged)."""
    out = {}
    for day in earlier:
        print(f"\n--- the same policies at an earlier decision date, {day}")
        r = at_date(day, raw, truth, config, fitted, budgets)
        out[day.isoformat()] = {
            "budgets": r["budgets"],
            "uplift_expected_qini_share_of_perfect": r["uplift_expected_qini_share_of_perfect"],
        }
    return out


def at_date(
    decision_date: date,
    raw: Path,
    truth: pd.DataFrame,
    config: TrainConfig,
    fitted,
    budgets,
    extra: dict | None = None,
) -> dict:
    """Uplift learnt on the campaigns covered before `decision_date`, the base scored as of
    it, and every policy's realised net gain against the truth of that date (printed).
    `extra`, when given, receives the vectors, Retain's answer, the truth of the date, the
    catalogue and its offers (for the observable oracle)."""
    campaigns, base = campaign_history(raw)
    covered = campaigns["sent_day"].map(pd.Timestamp) + pd.Timedelta(days=30) <= pd.Timestamp(
        decision_date
    )
    before = campaigns[covered]
    days = sorted(before["sent_day"].unique())
    train, test = before[before["sent_day"] < days[-2]], before[before["sent_day"] >= days[-2]]
    base_train = base[base["sent_day"] < days[-2]]
    learners = {}
    # "retain" is what `retain train-uplift` fits by default (UpliftConfig's learner).
    for name, model in (
        ("retain", UpliftConfig()),
        ("retain_x_learner", UpliftConfig(learner="x")),
    ):
        cfg = UpliftTrainConfig(seed=config.seed, threads=config.threads, model=model)
        learners[name] = fit_learner(train, base_train, cfg)
    uplift = learners["retain"]
    predicted = {name: learner.predict(test) for name, learner in learners.items()}
    qini = evaluate(test, predicted["retain"], config.seed)
    qini_x = evaluate(test, predicted["retain_x_learner"], config.seed)
    against_truth = qini_against_truth(
        test, truth, {k: pooled_score(test, v) for k, v in predicted.items()}, config.seed
    )
    floor = against_truth["realised_qini_true_uplift_as_score"]
    catalogue = Catalogue.from_toml()
    fsv = feature_schema_version()
    vectors = build_snapshot(raw, decision_date)
    answers = {}
    for name, learner in learners.items():
        models = Models(
            churn=PinnedModel(
                "churn", "bench", fitted.churn.booster_, fsv, churn_calibration(fitted)
            ),
            value=PinnedModel(
                "value", "bench", fitted.value.booster_, fsv, btyd=fitted.value.btyd_
            ),
            uplift=PinnedUplift("uplift", "bench", learner.model_),
            catalogue=catalogue,
        )
        answers[name] = score_columns(
            {c: vectors[c].to_numpy() for c in vectors.columns}, models, reasons=False
        )
    answer = answers["retain"]
    offers = [o.offer_id for o in catalogue.offers]
    scored = pd.DataFrame(
        {k: answer[k] for k in ("subscriber_id", "churn_probability", "value_if_retained_vnd")}
    )
    gains = pd.DataFrame(answer[OFFER_GAINS], columns=offers)
    gains_x = pd.DataFrame(answers["retain_x_learner"][OFFER_GAINS], columns=offers)
    at = pd.Timestamp(decision_date).date()
    truth = truth[(truth["as_of"] == at) & truth["offer_id"].isin(offers)]
    if extra is not None:
        extra.update(
            vectors=vectors,
            answer=answer,
            truth=truth,
            catalogue=catalogue,
            acceptance=uplift.model_.spec.acceptance,
        )
    observed = before.groupby("offer_id").apply(
        lambda g: g[~g.treated].churned.mean() - g[g.treated].churned.mean(), include_groups=False
    )
    default_offer = str(observed.reindex(offers).idxmax())
    tables = []
    for b in budgets:
        t = compare_policies(scored, gains, truth, catalogue, b, default_offer)
        x = compare_policies(scored, gains_x, truth, catalogue, b, default_offer)
        c = ceilings(truth, scored["subscriber_id"].to_numpy(), offers, catalogue, b)
        c["share_of_oracle"] = c["net_gain_vnd"] / t.loc["oracle", "net_gain_vnd"]
        c["budget_vnd"] = b
        tables.append(
            pd.concat(
                [
                    t.loc[["retain"]],
                    x.loc[["retain"]].rename(index={"retain": "retain_x_learner"}),
                    t.drop(index="retain"),
                    c,
                ]
            )
        )
    result = {
        "decision_date": decision_date.isoformat(),
        "eligible_subscribers": len(vectors),
        "default_offer_for_ranking_policies": default_offer,
        "uplift_heldout_campaigns": [str(pd.Timestamp(d).date()) for d in days[-2:]],
        # The learner `auto` kept, and the pooled save rate when that is the one kept.
        "uplift_learner": getattr(getattr(uplift, "choice_", None), "learner", None),
        "uplift_oof_qini": _oof_qini(uplift),
        "save_rate": asdict(uplift.save_rate_) if hasattr(uplift, "save_rate_") else None,
        "uplift_qini_latest_campaigns": qini.round(5).to_dict(orient="index"),
        "uplift_qini_latest_campaigns_x_learner": qini_x.round(5).to_dict(orient="index"),
        "uplift_qini_true_uplift_as_score": floor,
        "uplift_expected_qini_latest_campaigns": against_truth["expected_qini"],
        "uplift_expected_qini_share_of_perfect": against_truth["expected_qini_share_of_perfect"],
        "budgets": [
            {
                "budget_vnd": b,
                "policies": t.drop(columns="budget_vnd").round(4).to_dict(orient="index"),
                "retain_share_of_oracle": float(t.loc["retain", "share_of_oracle"]),
                "retain_vs_highest_churn_risk": ratio(t),
                "retain_beats_highest_churn_risk_1_5x": beats(t),
            }
            for b, t in zip(budgets, tables, strict=True)
        ],
    }
    for b, t in zip(budgets, tables, strict=True):
        print(f"\nbudget {b:,.0f} VND, decision date {decision_date}")
        cols = ["contacted", "net_gain_vnd", "retained_subscribers", "expected_cost_vnd"]
        print(t[[*cols, "share_of_oracle"]].round(3).to_string())
        r = ratio(t)
        print(
            f"Retain: {t.loc['retain', 'share_of_oracle']:.2f} of the oracle's net gain; vs "
            f"highest churn risk: {'n/a (it loses money)' if r is None else f'{r:.2f}x'}"
            f" -> 1.5x criterion {'met' if beats(t) else 'not met'}"
        )
    print("\nuplift model on the held-out campaigns (Qini vs random rankings):")
    print(qini.round(5).to_string())
    print(f"the truth's own uplift as the score: Qini {floor:.5f} (the noise floor)")
    eq, share = against_truth["expected_qini"], against_truth["expected_qini_share_of_perfect"]
    print(
        "expected Qini (the truth's uplift as the outcome): "
        + ", ".join(f"{k} {v:.6f}" for k, v in eq.items())
        + "; share of the perfect ranking: "
        + ", ".join(f"{k} {v:.3f}" for k, v in share.items())
    )
    print(f"uplift learner kept by out-of-fold Qini: {result['uplift_learner']} "
          f"(out-of-fold Qini {result['uplift_oof_qini']})")  # fmt: skip
    if hasattr(uplift, "save_rate_"):
        rate = uplift.save_rate_
        print(
            f"save rate per acceptance: {rate.estimate:.3f} +- {rate.se:.3f}, used {rate.used:.3f}"
        )
    return result


def _oof_qini(uplift) -> dict[str, float] | None:
    """Each candidate learner's out-of-fold Qini over all offers (training campaigns only)."""
    choice = getattr(uplift, "choice_", None)
    if choice is None:
        return None
    return {k: round(float(t.loc["all offers", "qini"]), 6) for k, t in choice.oof.items()}


SCENARIO_BUDGET_PER_SUBSCRIBER = 1_000  # VND: 20M on 20,000 subscribers, 200M on 200,000
DEFAULT_SIZE = GeneratorConfig().subscribers


def brief(d: dict) -> dict:
    """A policy's realised net gain and contacts, as the scenario rows report them."""
    return {"net_gain_vnd": round(float(d["net_gain_vnd"])), "contacted": int(d["contacted"])}


def scenario(effect: str, subscribers: int, budgets: list[float], earlier: list[date]) -> dict:
    """One row of `scenarios`: the operator generated with `effect` and `subscribers`,
    trained as `retain train` does, and Retain's plan at the decision date beside the
    observable oracle (`bench.observable.observable_oracle`: the stronger of its two variants
    by realised gain, both reported), the oracle and highest churn risk, all on the same
    budget (1,000 VND a subscriber). On the default operator (the default scenario at its
    default size) the row also carries, under `operator`, the full single-operator
    comparison at `budgets` and the `earlier` decision dates."""
    from bench.observable import observable_oracle
    from bench.policy_gap import gap_diagnostics
    from serving.decision import gains_matrix

    budget = float(SCENARIO_BUDGET_PER_SUBSCRIBER * subscribers)
    generator = replace(GeneratorConfig(), effect=effect, subscribers=subscribers)
    single = generator == GeneratorConfig()
    raw, truth, config, fitted = trained(generator)
    extra: dict = {}
    plans = [budget, *(b for b in budgets if b != budget)] if single else [budget]
    r = at_date(DECISION_DATE, raw, truth, config, fitted, plans, extra)
    vectors, answer, cat = extra["vectors"], extra["answer"], extra["catalogue"]
    offers = [o.offer_id for o in cat.offers]
    n = len(vectors)
    allowed = np.isfinite(
        gains_matrix(cat, offers, np.zeros((n, len(offers))), np.ones(n), np.zeros(n),
                     vectors["contract_type"].to_numpy(), np.asarray(answer["value_tier"]))
    )  # fmt: skip
    policy = DecisionPolicy(budget_vnd=budget, control_share=0.0, campaign_id="eval")
    ids = vectors["subscriber_id"].to_numpy()
    variants = {}
    for name, (gains, quality) in observable_oracle(
        vectors, extra["truth"], offers, allowed, config.seed
    ).items():
        plan = plan_campaign(ids, gains, cat, policy)
        variants[name] = (plan, realised_gain(plan, extra["truth"]), quality)
    # The yardstick is the stronger of the two observable models: the better realised gain.
    kept = max(variants, key=lambda k: variants[k][1]["net_gain_vnd"])
    observable_plan, observable, quality = variants[kept]
    retain_gains = pd.DataFrame(answer[OFFER_GAINS], columns=offers)
    diagnostics = gap_diagnostics(
        answer, extra["truth"], cat, retain_gains, budget, extra["acceptance"]
    )
    sent = observable_plan[observable_plan["group"] == "treatment"]["offer_id"].value_counts()
    diagnostics["observable_oracle"] = {
        **brief(observable),
        "offers": {str(k): int(v) for k, v in sent.items()},
    }
    table = r["budgets"][0]["policies"]
    row = {
        "scenario": effect,
        "subscribers": subscribers,
        "budget_vnd": budget,
        "retain": brief(table["retain"]),
        "observable_oracle": brief(observable),
        "oracle": brief(table["oracle"]),
        "highest_churn_risk": brief(table["highest_churn_risk"]),
        "observable_oracle_quality": quality,
        "observable_oracle_kept": kept,
        "observable_oracle_variants": {
            k: {**brief(v[1]), "quality": v[2]} for k, v in variants.items()
        },
        "save_rate": r["save_rate"],
        "uplift_learner": r["uplift_learner"],
        "diagnostics": diagnostics,
    }
    print(json.dumps(row, indent=1))
    if single:
        r["earlier_decision_dates"] = earlier_dates(raw, truth, config, fitted, plans, earlier)
        row["operator"] = r
    return row


def main(effects: list[str], sizes: list[int], budgets: list[float], earlier: list[date]) -> dict:
    """Every scenario at every size, written to bench/results/policy.json through the
    fingerprint: `scenarios` (one row each, see `scenario`) and, when the default scenario
    at the default size is among them, the default operator's full comparison at the top
    level (`decision_date`, `budgets`, `earlier_decision_dates`, the uplift's Qini ...)."""
    t0 = time.perf_counter()
    rows = [scenario(e, n, budgets, earlier) for n in sizes for e in effects]
    result: dict = {}
    for row in rows:
        result.update(row.pop("operator", {}))
    result["scenarios"] = rows
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["load_average"] = os.getloadavg()[0]
    path = write_result(
        RESULTS.stem,
        result,
        code=("bench/policy.py", "bench/observable.py"),
        settings={
            "scenarios": list(effects),
            "sizes": list(sizes),
            "budget_vnd_per_subscriber": SCENARIO_BUDGET_PER_SUBSCRIBER,
            "budgets_vnd": list(budgets),
            "decision_date": DECISION_DATE.isoformat(),
            "earlier": [d.isoformat() for d in earlier],
            "train": str(TrainConfig()),
        },
        generator={
            "configs": [
                repr(replace(GeneratorConfig(), effect=e, subscribers=n))
                for n in sizes
                for e in effects
            ]
        },
    )
    print(f"\n-> {path}")
    return result


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scenarios",
        nargs="+",
        default=["default"],
        choices=list(EFFECTS),
        help="effect scenarios of the generator (`retain generate --effect`), each run at "
        "every --sizes",
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[DEFAULT_SIZE])
    ap.add_argument(
        "--budgets",
        type=float,
        nargs="+",
        default=[20e6, 50e6, 150e6],
        help="budgets of the default operator's full comparison (the scenarios' budget is "
        "1,000 VND a subscriber)",
    )
    ap.add_argument(
        "--earlier",
        type=date.fromisoformat,
        nargs="*",
        default=list(EARLIER_DATES),
        help="earlier decision dates of the default operator's comparison (models the same)",
    )
    args = ap.parse_args()
    main(args.scenarios, args.sizes, args.budgets, args.earlier)
