"""How a synthetic subscriber lives and leaves: the rules shared by the simulation and the truth.

Leaving is a five-state Markov chain, stepped once a day:

    STAY --h(t)·(1-q)--> TAPER --1/10--> FADE --1/12--> exit
    STAY --h(t)·q------> QUIET --1/2---> exit

A subscriber who decides to leave either tapers (active days fall a little, then by half;
usage per day by half, then by three quarters; complaints and port-out inquiries rise) over
about three weeks, or, with probability q, goes quietly within a couple of days with no
warning. At the exit a prepaid subscriber mostly just
stops (state GONE; the operator reclaims the SIM after 60 days without billable activity)
and otherwise ports out or terminates; a postpaid subscriber always ports out or terminates.

The daily hazard h(t) is a product of the subscriber's baseline, a tenure effect (new SIMs
leave more), their grievance (dropped calls and unresolved complaints, re-assessed on the
first of each month and held through the month), competitor promotions in their province
(weighted by price sensitivity), the season (the month after Tết), and a running retention
offer. Because h(t) is known at the start of a month, the truth module can compute the exact
probability of the month's churn label from the chain instead of sampling it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from features.synthetic import personas as P
from features.synthetic.world import World

STAY, TAPER, FADE, QUIET, GONE = 0, 1, 2, 3, 4
N_STATES = 5
ACTIVITY = np.array([1.0, 0.9, 0.55, 1.0, 0.0])  # multiplier on the chance of an active day
VOLUME = np.array([1.0, 0.5, 0.25, 1.0, 0.0])  # multiplier on usage on an active day
QUIET_SHARE = 0.25
TAPER_TO_FADE = 1 / 10
FADE_EXIT = 1 / 12
QUIET_EXIT = 1 / 2
LOUD_EXIT_SHARE = {"prepaid": 0.2, "postpaid": 1.0}  # exits recorded as termination/port-out
PORT_OUT_SHARE = {"prepaid": 0.6, "postpaid": 0.4}  # of the loud exits
INACTIVITY_TERMINATION_DAYS = 60
MAX_ACTIVITY = 0.98
MAX_HAZARD = 0.5
GRIEVANCE_WEIGHT = 0.8
GRIEVANCE_CAP = 2.5
DISSATISFACTION_DECAY = 0.95  # per day


@dataclass(frozen=True)
class Latent:
    """The fixed traits of a block of subscribers (arrays of one length)."""

    ids: np.ndarray
    persona: np.ndarray  # index into personas.PERSONAS
    postpaid: np.ndarray
    province: np.ndarray  # index into personas.PROVINCES
    act_offset: np.ndarray  # activation day relative to the start (negative: before it)
    spend: np.ndarray  # per-subscriber scale of minutes and megabytes
    drift: np.ndarray  # persistent engagement level
    hazard_base: np.ndarray  # baseline daily leaving hazard
    price_sens: np.ndarray
    uplift: np.ndarray  # index into personas.UPLIFT_TYPES
    persuasion: np.ndarray  # strength of a persuadable subscriber's response, 0-1

    def __len__(self) -> int:
        return len(self.ids)

    def persona_attr(self, name: str) -> np.ndarray:
        return np.array([getattr(p, name) for p in P.PERSONAS])[self.persona]

    @cached_property
    def active_prob(self) -> np.ndarray:
        return self.persona_attr("active_prob")

    @cached_property
    def charge_per_engagement(self) -> np.ndarray:
        """Expected charge (VND) of an active day at engagement 1 and volume 1."""
        voice = self.persona_attr("voice_out_min") * self.spend * P.VOICE_VND_PER_MIN
        data = self.persona_attr("data_mb") * self.spend * P.DATA_VND_PER_MB
        return voice + data + self.persona_attr("sms_out") * P.SMS_VND

    @property
    def loud_share(self) -> np.ndarray:
        return np.where(self.postpaid, LOUD_EXIT_SHARE["postpaid"], LOUD_EXIT_SHARE["prepaid"])


def hazard(
    lat: Latent, world: World, t: int, grievance: np.ndarray, multiplier: np.ndarray
) -> np.ndarray:
    """Daily probability of deciding to leave on day `t` for a subscriber in STAY."""
    tenure = np.maximum(t - lat.act_offset, 0)
    h = (
        lat.hazard_base
        * (1.0 + 1.5 * np.exp(-tenure / 90.0))
        * np.exp(np.minimum(GRIEVANCE_WEIGHT * grievance, GRIEVANCE_CAP))
        * np.where(world.promo[lat.province, t], 1.0 + 0.9 * lat.price_sens, 1.0)
        * world.season_hazard[t]
        * multiplier
        / np.sqrt(lat.drift)
    )
    return np.minimum(h, MAX_HAZARD)


def activity(lat: Latent, world: World, t: int) -> np.ndarray:
    """Probability of an active (hence billable) day `t`, per subscriber and state (n x 5)."""
    base = lat.active_prob * np.sqrt(lat.drift * world.season_usage[t])
    return np.minimum(base[:, None] * ACTIVITY[None, :], MAX_ACTIVITY)


def engagement(lat: Latent, world: World, t: int) -> np.ndarray:
    """Usage scale on an active day at volume 1 (multiply by VOLUME[state])."""
    return lat.drift * world.season_usage[t]


def expected_charge(lat: Latent, world: World, t: int) -> np.ndarray:
    """Expected revenue (VND) of an active day `t`, per subscriber and state (n x 5).

    Revenue is the charge rounded up to the next VND: half a dong more on average."""
    return (lat.charge_per_engagement * engagement(lat, world, t))[:, None] * VOLUME[None, :] + 0.5


def step(
    state: np.ndarray, h: np.ndarray, loud_share: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One day of the chain for every subscriber; returns (new state, exited, loud).

    `exited` marks subscribers who left today; `loud` those of them whose exit is a
    termination or port-out (the others become GONE). Exited loud subscribers keep their
    last state; the caller marks them terminated.
    """
    n = len(state)
    u, v = rng.random(n), rng.random(n)
    new = state.copy()
    start = (state == STAY) & (u < h)
    new[start & (v < QUIET_SHARE)] = QUIET
    new[start & (v >= QUIET_SHARE)] = TAPER
    new[(state == TAPER) & (u < TAPER_TO_FADE)] = FADE
    exited = ((state == FADE) & (u < FADE_EXIT)) | ((state == QUIET) & (u < QUIET_EXIT))
    loud = exited & (v < loud_share)
    new[exited & ~loud] = GONE
    return new, exited, loud
