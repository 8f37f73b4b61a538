"""The README's figures outside the benchmark table, each rendered from a result file.

In README.md a figure is a marked span, `<!-- fig:NAME -->text<!-- /fig -->`, and
`python -m bench.readme_table` replaces `text` with `FIGURES[NAME]` of the committed result.
A name reads one result file (the part before the first dot); `--check` fails when a span's
text differs from its rendering, when a name is unknown, or when the README quotes a number
outside a span that `SETTINGS` does not declare as a setting rather than a measurement.
"""

from __future__ import annotations


def _m(vnd: float) -> str:
    return f"{vnd / 1e6:+.1f}M"


def _budget(d: dict, i: int = 0) -> dict:
    return d["budgets"][i]["policies"]


def _earlier(d: dict) -> dict:
    (day,) = d["earlier_decision_dates"]
    return d["earlier_decision_dates"][day]["budgets"][0]["policies"]


POLICY_ROWS = (
    ("retain", "Retain (pooled save-rate)"),
    ("retain_x_learner", "Retain with the X-learner"),
    ("highest_churn_risk", "highest churn risk"),
    ("highest_value_at_risk", "highest value at risk"),
    ("random", "random"),
    ("oracle", "oracle (true gains)"),
)


def _policy_table(d: dict) -> str:
    p = _budget(d)
    lines = [
        "| policy | contacted | net gain, VND | share of the oracle's |",
        "|---|---:|---:|---:|",
    ]
    for key, label in POLICY_ROWS:
        r = p[key]
        lines.append(
            f"| {label} | {r['contacted']:,.0f} | {_m(r['net_gain_vnd'])} | "
            f"{r['share_of_oracle']:.2f} |"
        )
    return "\n\n" + "\n".join(lines) + "\n"


def _shares(d: dict) -> list[float]:
    return [_budget(d)["retain"]["share_of_oracle"], _earlier(d)["retain"]["share_of_oracle"]]


def _qini(d: dict) -> dict:
    return d["uplift_qini_latest_campaigns"]["all offers"]


def _block(text: str) -> str:
    return f"\n\n```\n{text}\n```\n"


CEILING_CHURN = "ceiling: true churn and value"
CEILING_TYPE = "ceiling: true churn, value and uplift type"

# name -> function of the result file named before the first dot
FIGURES = {
    "demo.summary": lambda d: _block(d["summary"]),
    "demo.uplift": lambda d: _block(d["uplift_table"] + "\n" + d["uplift_registered"]),
    "demo.minutes": lambda d: f"{d['minutes_total']:.0f}",
    "oracle.churn_rate": lambda d: f"{d['churn_rate']:.0%}",
    "policy.decision_date": lambda d: d["decision_date"],
    "policy.budget": lambda d: f"{d['budgets'][0]['budget_vnd'] / 1e6:,.0f}M",
    "policy.table": _policy_table,
    "policy.heldout_rows": lambda d: f"{_qini(d)['rows']:,.0f}",
    "policy.x_contacts_ratio": lambda d: (
        f"{_budget(d)['retain_x_learner']['contacted'] / _budget(d)['retain']['contacted']:.1f}"
    ),
    "policy.x_gain_share": lambda d: (
        f"{_budget(d)['retain_x_learner']['net_gain_vnd'] / _budget(d)['retain']['net_gain_vnd']:.0%}"  # noqa: E501
    ),
    "policy.earlier_date": lambda d: next(iter(d["earlier_decision_dates"])),
    "policy.earlier_ceiling_churn": lambda d: (
        f"{_earlier(d)[CEILING_CHURN]['share_of_oracle']:.2f}"
    ),
    "policy.earlier_ceiling_type": lambda d: f"{_earlier(d)[CEILING_TYPE]['share_of_oracle']:.2f}",
    "policy.earlier_retain": lambda d: f"{_earlier(d)['retain']['share_of_oracle']:.2f}",
    "policy.ceiling_churn": lambda d: f"{_budget(d)[CEILING_CHURN]['share_of_oracle']:.2f}",
    "policy.ceiling_type": lambda d: f"{_budget(d)[CEILING_TYPE]['share_of_oracle']:.2f}",
    "policy.retain_range": lambda d: f"{min(_shares(d)):.2f}-{max(_shares(d)):.2f}",
    "policy.qini": lambda d: f"{_qini(d)['qini']:+.4f}",
    "policy.qini_random": lambda d: (
        f"{_qini(d)['qini_random']:+.4f} +- {_qini(d)['qini_random_sd']:.4f}"
    ),
    "policy.qini_truth": lambda d: f"{d['uplift_qini_true_uplift_as_score']:+.4f}",
    "survival.ceiling_over_truth": lambda d: f"{d['reachability']['ceiling_over_truth']:.2f}",
    "survival.retain_over_ceiling": lambda d: f"{d['reachability']['retain_over_ceiling']:.2f}",
    "policy.expected_share": lambda d: (
        f"{d['uplift_expected_qini_share_of_perfect']['retain']:.2f}"
    ),
}

# Numbers the README states that are settings, targets or definitions, not measurements
# (each as the phrase around it, so a figure typed beside one is still caught).
SETTINGS = (
    "with 95% intervals",  # the measured gain's confidence level
    "(power 0.8, two-sided 5%)",  # the power calculation's settings
    "(64,000 customers, randomised thirds)",  # the Hillstrom campaign's design
    "(`1.234.567 ₫` in vi_VN, `₫1,234,567` in",  # an example of formatting
    'by 60% in the last 30 days", "No mobile data use for 12 days", "3 dropped calls this week"',
    "(413 over",
    "at most 1,000), then each",  # the request limit
    "(400, 401 without the API key",  # HTTP status codes
    "constant time, 413, 415 for a body",
    "503 with `Retry-After`",
    "the survival at 3, 6 and\n  12 months",  # the answer's survival horizons
    "discounted at 10% a year",  # the lifetime value's default discount rate
    "default\n100,000 per snapshot",  # the training sample's default size
    "at one-sided 5%",  # the save rate's confidence rule
    "fell by 60% in the last 30 days",  # an example of a reason's wording
    "the top 20% bring",  # the Pareto view's definition
    "(3.11+)",  # the Python it needs
    "SHA-256",
    "1,440 minutes",  # a contract rule: more than a day's minutes
    "answers 413",
    "), 401 without",
    ", 415 for a body",
    "get 413",
    "`8388608`",
    "concurrency 32, 1,000 fuzzing examples",  # bench.reliability's settings
    "80% treated",  # the generator's campaigns: 20% control
    "the 1.5x criterion",
    "and 1.5x the comparator",
    "under the 0.97 ratio the issue asks for",
    "short of the 0.8 asked",
    "a budget of 1,000 VND a subscriber",  # bench.policy's scenario budget
    "--sizes 20000 200000`",  # the scenario sizes (a command)
    "for a 30M and a 60M base",  # bench.scale's projected sizes
)
