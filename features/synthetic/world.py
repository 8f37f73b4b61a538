"""The operator-wide calendar of the synthetic operator, shared by every block of subscribers.

Network quality per province (a normal drop rate and the days the network goes bad),
competitor promotions per province, and the season: usage peaks in the ten days before Tết,
dips in the week after, and leaving rises in the month after (the bonus has been paid, and
people change jobs and cities). The calendar is drawn from the operator seed alone, so
every block and the truth see the same world.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from features.synthetic import personas as P

TET = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
}
BAD_DAY_SHARE = 0.02
BAD_DAY_DROP_FACTOR = 6.0


@dataclass(frozen=True)
class World:
    start: date
    drop_rate: np.ndarray  # per province: share of calls dropped on a normal day
    bad_day: np.ndarray  # province x day, bool: the network is degraded
    promo: np.ndarray  # province x day, bool: a competitor promotion is running
    season_usage: np.ndarray  # per day: usage multiplier
    season_hazard: np.ndarray  # per day: leaving-hazard multiplier

    @property
    def days(self) -> int:
        return len(self.season_usage)


def make_world(seed: int, start: date, n_days: int) -> World:
    """Draw the calendar for `n_days` days from `start` (the last 90 are beyond the data,
    so the truth can look 90 days ahead of any as-of date)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1_000_003]))
    n_prov = len(P.PROVINCES)
    drop_rate = rng.beta(2.0, 140.0, n_prov)
    bad_day = rng.random((n_prov, n_days)) < BAD_DAY_SHARE
    promo = np.zeros((n_prov, n_days), dtype=bool)
    n_promos = rng.poisson(1.2 * n_days / 365, n_prov)
    for p in range(n_prov):
        for _ in range(n_promos[p]):
            s = int(rng.integers(0, n_days))
            promo[p, s : s + int(rng.integers(21, 46))] = True
    usage = np.ones(n_days)
    hazard = np.ones(n_days)
    for tet in TET.values():
        d = (tet - start).days
        for lo, hi, u, h in (
            (d - 10, d, 1.25, 1.0),
            (d, d + 7, 0.7, 1.0),
            (d + 7, d + 37, 1.0, 1.6),
        ):
            lo, hi = max(lo, 0), min(hi, n_days)
            if lo < hi:
                usage[lo:hi] *= u
                hazard[lo:hi] *= h
    return World(start, drop_rate, bad_day, promo, usage, hazard)
