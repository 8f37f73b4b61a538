"""Expected maximum profit of a churn model's retention campaign (EMPC).

Verbraken, Verbeke and Baesens (2013), "A novel profit maximizing metric for measuring
classification performance of customer churn prediction models", IEEE TKDE 25(5). A campaign
contacts the top of the ranking; a contacted would-be churner accepts the incentive with
probability gamma and stays, bringing CLV minus the incentive; everyone contacted costs the
contact; non-churners who are contacted take the incentive. Per subscriber of the base:

    profit(t; gamma) = CLV * (gamma * (1 - delta) - phi) * pi0 * F0(t)
                       - CLV * (delta + phi) * pi1 * F1(t)

with delta = incentive / CLV, phi = contact / CLV, pi0 the churn rate, F0 and F1 the shares
of churners and non-churners above the threshold t. The acceptance rate gamma is unknown,
Beta(alpha, beta) distributed; EMPC is the expectation over gamma of the profit at the best
threshold for that gamma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import beta as beta_dist
from sklearn.metrics import roc_curve


@dataclass(frozen=True)
class EMPCConfig:
    """Campaign economics in one currency; defaults are the paper's (CLV 200, incentive 10,
    contact 1, acceptance ~ Beta(6, 14))."""

    clv: float = 200.0
    incentive: float = 10.0
    contact: float = 1.0
    alpha: float = 6.0
    beta: float = 14.0

    def __post_init__(self) -> None:
        if self.clv <= 0:
            raise ValueError(f"empc.clv: must be positive, got {self.clv}")
        if self.incentive < 0 or self.contact < 0:
            raise ValueError("empc.incentive/contact: costs cannot be negative")
        if self.alpha <= 0 or self.beta <= 0:
            raise ValueError("empc.alpha/beta: Beta parameters must be positive")


# An operator's own economics in VND: 90-day value of a retained prepaid subscriber, a
# 50,000 VND top-up bonus, and 1,000 VND per SMS or outbound-call contact.
VND_EMPC = EMPCConfig(clv=1_500_000.0, incentive=50_000.0, contact=1_000.0)


def empc(
    y: np.ndarray, score: np.ndarray, config: EMPCConfig = EMPCConfig(), grid: int = 400
) -> tuple[float, float]:
    """(EMPC per subscriber in the config's currency, expected share of the base contacted).

    The expectation over gamma is taken on `grid` equal-probability Beta quantiles.
    """
    y = np.asarray(y, dtype=int)
    pi0 = float(y.mean())
    if pi0 in (0.0, 1.0):
        raise ValueError("empc: y must contain both churners and non-churners")
    fpr, tpr, _ = roc_curve(y, np.asarray(score, dtype=float))
    f1, f0 = np.r_[0.0, fpr], np.r_[0.0, tpr]
    delta, phi = config.incentive / config.clv, config.contact / config.clv
    gamma = beta_dist.ppf((np.arange(grid) + 0.5) / grid, config.alpha, config.beta)
    gain = config.clv * (gamma[:, None] * (1 - delta) - phi) * pi0 * f0[None, :]
    loss = config.clv * (delta + phi) * (1 - pi0) * f1[None, :]
    profit = gain - loss
    best = profit.argmax(axis=1)
    share = pi0 * f0[best] + (1 - pi0) * f1[best]
    return float(profit[np.arange(grid), best].mean()), float(share.mean())
