"""Retention campaigns of the synthetic operator, and how subscribers respond to an offer.

On the first day of every month after the first, the operator picks the riskiest-looking 5%
of its eligible base by its own rough score (grievance, falling activity, short tenure, plus
noise), sends each a random offer from the catalogue, and holds out a random control group.
How a contacted subscriber responds depends on their latent uplift type:

- persuadable: accepts with a persona- and offer-dependent probability; if they accept, their
  leaving hazard is multiplied by 1 - s·a for 60 days (s their persuasion, a the persona's
  affinity for the offer), and if already on the way out they are won back with probability
  min(1, 2.5·s·a);
- sure thing / lost cause: the offer changes nothing (sure things rarely leave, lost causes
  often do; see personas.UPLIFT_HAZARD);
- sleeping dog: being contacted reminds them to leave: the hazard rises 1.8-fold for 60 days.

The same rules give the truth's treated probabilities, so the two cannot drift apart.

Effect scenarios (`EFFECTS`, `GeneratorConfig.effect`) change how much offers can do:
`none` (offers change nothing: no hazard cut, no win-back, sleeping dogs unmoved),
`default` (the rules above), and `strong`, a retention programme that works: persuadables
are 45% of the base instead of 30% (sure things 35%, lost causes 15%, sleeping dogs 5%) and
an accepted offer's strength s·a is 1.6-fold (capped at 1), so the save rate and the
win-back chance both rise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synthetic import hazard as L
from features.synthetic import personas as P

PERSUADABLE, SURE_THING, LOST_CAUSE, SLEEPING_DOG = range(4)
AFFINITY = np.array(P.AFFINITY)
WIN_BACK = 2.5
OFFER_COST_VND = np.array([o.cost_vnd for o in P.OFFERS], dtype=np.int64)


@dataclass(frozen=True)
class Effect:
    """An effect scenario: how much an offer can change (see the module docstring)."""

    name: str = "default"
    uplift_shares: tuple[float, ...] = P.UPLIFT_SHARES
    strength_scale: float = 1.0  # multiplies s·a (capped at 1)
    works: bool = True  # False: offers change nothing


EFFECTS = {
    "none": Effect("none", works=False),
    "default": Effect(),
    "strong": Effect("strong", (0.45, 0.35, 0.15, 0.05), strength_scale=1.6),
}


@dataclass(frozen=True)
class CampaignPolicy:
    """How the operator ran its past campaigns."""

    target_share: float = 0.05  # of the eligible base, each month
    control_share: float = 0.2  # randomised hold-out within each campaign
    effect: Effect = Effect()


def accept_probability(lat: L.Latent, offer: np.ndarray) -> np.ndarray:
    """Probability that each subscriber accepts offer index `offer` when it is sent."""
    base = np.array(P.UPLIFT_ACCEPT)[lat.uplift]
    return base * (0.6 + 0.4 * AFFINITY[lat.persona, offer])


def offer_strength(lat: L.Latent, offer: np.ndarray, effect: Effect = Effect()) -> np.ndarray:
    """s·a: the hazard cut of an accepted offer (scaled by the scenario, capped at 1)."""
    s = lat.persuasion * AFFINITY[lat.persona, offer]
    return s if effect.strength_scale == 1.0 else np.minimum(effect.strength_scale * s, 1.0)


def win_back(lat: L.Latent, offer: np.ndarray, effect: Effect = Effect()) -> np.ndarray:
    """The chance that an accepted offer turns back a persuadable already on the way out."""
    if not effect.works:
        return np.zeros(len(lat))
    return np.minimum(WIN_BACK * offer_strength(lat, offer, effect), 1.0)


def treated_multiplier(lat: L.Latent, offer: np.ndarray, effect: Effect = Effect()) -> np.ndarray:
    """Hazard multiplier while an offer works, for subscribers for whom it works at all."""
    if not effect.works:
        return np.ones(len(lat))
    return np.where(
        lat.uplift == SLEEPING_DOG, P.SLEEPING_DOG_HAZARD, 1.0 - offer_strength(lat, offer, effect)
    )


def run_campaign(
    policy: CampaignPolicy,
    rng: np.random.Generator,
    lat: L.Latent,
    t: int,
    eligible: np.ndarray,
    score: np.ndarray,
    state: np.ndarray,
    offer_mult: np.ndarray,
    offer_until: np.ndarray,
) -> dict[str, np.ndarray] | None:
    """Target, randomise and apply one campaign on day `t`; return its rows (index arrays).

    Mutates `state`, `offer_mult` and `offer_until` for the treated subscribers it moves.
    """
    pool = np.flatnonzero(eligible)
    k = int(round(len(pool) * policy.target_share))
    if k == 0:
        return None
    noisy = score[pool] + rng.gumbel(0.0, 1.0, len(pool))
    target = np.sort(pool[np.argsort(-noisy, kind="stable")[:k]])
    treated = rng.random(k) >= policy.control_share
    offer = rng.integers(0, len(P.OFFERS), k)
    sub = _take(lat, target)
    accepted = treated & (rng.random(k) < accept_probability(sub, offer))
    dog = treated & (sub.uplift == SLEEPING_DOG)
    works = (accepted & (sub.uplift == PERSUADABLE)) | dog
    who = target[works]
    offer_mult[who] = treated_multiplier(sub, offer, policy.effect)[works]
    offer_until[who] = t + P.OFFER_DAYS - 1
    leaving = np.isin(state[target], (L.TAPER, L.FADE, L.QUIET))
    won = works & ~dog & leaving & (rng.random(k) < win_back(sub, offer, policy.effect))
    state[target[won]] = L.STAY
    return {"index": target, "treated": treated, "offer": offer, "accepted": accepted}


def _take(lat: L.Latent, idx: np.ndarray) -> L.Latent:
    return L.Latent(**{f: getattr(lat, f)[idx] for f in lat.__dataclass_fields__})
