"""Exact propagation of the leaving chain from a known state: the engine behind the truth.

Given each subscriber's state at the start of day T and hazards known for the days ahead,
the chain of lifecycle.py is stepped on probability masses instead of samples. Two masses
are carried per state: A, the paths with no loud exit (termination or port-out) so far, and
B, the paths with no loud exit and no billable day either. The 30-day churn label is 1 unless
a path has no loud exit and some billable day, so P(label = 1) = 1 - sum(A) + sum(B) for
prepaid lines, 1 - sum(A) for postpaid ones (they only leave loudly). A prepaid SIM idle up
to its 60th day is reclaimed: at that day the B mass is removed from A. Expected revenue is
the sum over days and states of A times the chance of an active day times its expected
charge.

Several variants (untreated, each offer working) are carried side by side as a leading axis.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from features.synthetic import hazard as L

Masses = list[np.ndarray]  # one (variants, m) array per chain state


def one_hot(state: np.ndarray, variants: int) -> Masses:
    return [
        np.repeat((state == s)[None].astype(float), variants, axis=0) for s in range(L.N_STATES)
    ]


def chain(S: Masses, h: np.ndarray, keep: np.ndarray) -> Masses:
    """One day of the chain; `keep` is the share of exits that stay in the base (GONE)."""
    stay, taper, fade, quiet, gone = S
    start = stay * h
    exits = fade * L.FADE_EXIT + quiet * L.QUIET_EXIT
    return [
        stay - start,
        taper * (1 - L.TAPER_TO_FADE) + start * (1 - L.QUIET_SHARE),
        fade * (1 - L.FADE_EXIT) + taper * L.TAPER_TO_FADE,
        quiet * (1 - L.QUIET_EXIT) + start * L.QUIET_SHARE,
        gone + exits * keep,
    ]


def expected(S: Masses, per_state: np.ndarray) -> np.ndarray:
    """sum over states of mass times a per-subscriber, per-state quantity (m x 5)."""
    return sum(S[s] * per_state[:, s] for s in range(L.N_STATES) if s != L.GONE)


def propagate(
    start: Masses,
    kept_variants: int,
    hazards: Callable[[int], np.ndarray],
    day_rates: Callable[[int], tuple[np.ndarray, np.ndarray]],
    keep: np.ndarray,
    prepaid: np.ndarray,
    reclaim_day: np.ndarray,
    churn_days: int,
    value_days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Churn probability per start variant, expected value of variant 0, and expected value of
    subscribers kept in STAY through the churn window, per kept variant.

    `hazards(k)` gives the (variants, m) hazards of day T+k (the first `kept_variants` rows
    also serve the kept masses); `day_rates(k)` the (m x 5) chances of an active day and
    expected charges; `reclaim_day` the day k on which a still-idle prepaid SIM is reclaimed.
    """
    m = len(keep)
    A = start
    B = [a.copy() for a in A]
    R = one_hot(np.zeros(m, dtype=np.int8), kept_variants)
    value, value_kept = np.zeros(m), np.zeros((kept_variants, m))
    churn = np.zeros((len(A[0]), m))
    for k in range(value_days):
        h = hazards(k)
        b, charge = day_rates(k)
        A = chain(A, h[: len(A[0])], keep)
        B = chain(B, h[: len(B[0])], keep)
        if k >= churn_days:
            R = chain(R, h[:kept_variants], keep)
        revenue = b * charge
        value += expected([a[0] for a in A], revenue)
        value_kept += expected(R, revenue)
        checking = k <= reclaim_day
        B = [x * np.where(checking, 1 - b[:, s], 1.0) for s, x in enumerate(B)]
        reclaimed = k == reclaim_day
        if reclaimed.any():
            A = [a - np.where(reclaimed, x, 0.0) for a, x in zip(A, B, strict=True)]
            B = [np.where(reclaimed, 0.0, x) for x in B]
        if k == churn_days - 1:
            no_loud, silent = sum(A), sum(B)
            churn = 1 - no_loud + np.where(prepaid, silent, 0.0)
            A, B = [a[:1] for a in A], [x[:1] for x in B]
    return np.clip(churn, 0.0, 1.0), value, value_kept
