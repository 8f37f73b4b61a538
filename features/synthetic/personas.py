"""The static world of the synthetic operator: provinces, personas, plans and prices.

Figures are rough shapes of a Vietnamese prepaid-heavy operator (ARPU near 100,000 VND a
month, top-ups of 10,000-500,000 VND), chosen so that the generated base has realistic
churn, a Pareto concentration of revenue, and behaviour that precedes leaving.
"""

from __future__ import annotations

from dataclasses import dataclass

# 63 provinces with their region and a rough population weight (millions).
PROVINCES: tuple[tuple[str, str, float], ...] = (
    ("Ha Noi", "north", 8.4),
    ("Hai Phong", "north", 2.1),
    ("Quang Ninh", "north", 1.4),
    ("Bac Giang", "north", 1.9),
    ("Bac Ninh", "north", 1.5),
    ("Bac Kan", "north", 0.3),
    ("Cao Bang", "north", 0.5),
    ("Dien Bien", "north", 0.6),
    ("Ha Giang", "north", 0.9),
    ("Ha Nam", "north", 0.9),
    ("Hai Duong", "north", 1.9),
    ("Hoa Binh", "north", 0.9),
    ("Hung Yen", "north", 1.3),
    ("Lai Chau", "north", 0.5),
    ("Lang Son", "north", 0.8),
    ("Lao Cai", "north", 0.8),
    ("Nam Dinh", "north", 1.9),
    ("Ninh Binh", "north", 1.0),
    ("Phu Tho", "north", 1.5),
    ("Son La", "north", 1.3),
    ("Thai Binh", "north", 1.9),
    ("Thai Nguyen", "north", 1.3),
    ("Tuyen Quang", "north", 0.8),
    ("Vinh Phuc", "north", 1.2),
    ("Yen Bai", "north", 0.8),
    ("Thanh Hoa", "central", 3.7),
    ("Nghe An", "central", 3.4),
    ("Ha Tinh", "central", 1.3),
    ("Quang Binh", "central", 0.9),
    ("Quang Tri", "central", 0.6),
    ("Thua Thien Hue", "central", 1.1),
    ("Da Nang", "central", 1.2),
    ("Quang Nam", "central", 1.5),
    ("Quang Ngai", "central", 1.2),
    ("Binh Dinh", "central", 1.5),
    ("Phu Yen", "central", 0.9),
    ("Khanh Hoa", "central", 1.2),
    ("Ninh Thuan", "central", 0.6),
    ("Binh Thuan", "central", 1.2),
    ("Kon Tum", "central", 0.6),
    ("Gia Lai", "central", 1.5),
    ("Dak Lak", "central", 1.9),
    ("Dak Nong", "central", 0.7),
    ("Lam Dong", "central", 1.3),
    ("Ho Chi Minh", "south", 9.3),
    ("Binh Duong", "south", 2.6),
    ("Dong Nai", "south", 3.1),
    ("Ba Ria Vung Tau", "south", 1.2),
    ("Tay Ninh", "south", 1.2),
    ("Binh Phuoc", "south", 1.0),
    ("Long An", "south", 1.7),
    ("Tien Giang", "south", 1.8),
    ("Ben Tre", "south", 1.3),
    ("Tra Vinh", "south", 1.0),
    ("Vinh Long", "south", 1.0),
    ("Dong Thap", "south", 1.6),
    ("An Giang", "south", 1.9),
    ("Kien Giang", "south", 1.7),
    ("Can Tho", "south", 1.2),
    ("Hau Giang", "south", 0.7),
    ("Soc Trang", "south", 1.2),
    ("Bac Lieu", "south", 0.9),
    ("Ca Mau", "south", 1.2),
)


@dataclass(frozen=True)
class Persona:
    """Behaviour of one kind of subscriber; usage means are per active day."""

    name: str
    share: float
    postpaid_share: float
    active_prob: float
    voice_out_min: float
    data_mb: float
    sms_out: float
    topups_vnd: tuple[int, ...]
    leave_hazard: float  # baseline daily probability of deciding to leave
    price_sensitivity: float  # how much competitor promotions move the hazard
    devices: tuple[str, ...]
    plans: tuple[str, ...]


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "heavy_data",
        0.20,
        0.06,
        0.93,
        4.0,
        950.0,
        0.4,
        (50_000, 100_000, 200_000),
        0.0009,
        1.0,
        ("smartphone_high", "smartphone_mid"),
        ("PRE_DATA", "PRE_YOUTH"),
    ),
    Persona(
        "price_sensitive",
        0.38,
        0.0,
        0.62,
        3.0,
        160.0,
        0.8,
        (10_000, 20_000, 50_000),
        0.0014,
        2.0,
        ("smartphone_low", "feature"),
        ("PRE_BASIC", "PRE_YOUTH"),
    ),
    Persona(
        "voice_first",
        0.22,
        0.05,
        0.82,
        11.0,
        25.0,
        1.8,
        (20_000, 50_000, 100_000),
        0.0007,
        0.8,
        ("feature", "smartphone_low"),
        ("PRE_BASIC", "PRE_TALK"),
    ),
    Persona(
        "business_postpaid",
        0.08,
        1.0,
        0.9,
        14.0,
        320.0,
        1.0,
        (),
        0.0004,
        0.4,
        ("smartphone_high", "smartphone_mid"),
        ("POST_BIZ", "POST_M"),
    ),
    Persona(
        "dormant_second_sim",
        0.12,
        0.0,
        0.12,
        1.0,
        15.0,
        0.3,
        (10_000, 20_000),
        0.0022,
        1.0,
        ("smartphone_low", "smartphone_mid"),
        ("PRE_BASIC",),
    ),
)

POSTPAID_PLANS = ("POST_S", "POST_M", "POST_L")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+")
ACQUISITION_CHANNELS = ("store", "dealer", "online", "telesales")
RECHARGE_CHANNELS = ("scratch_card", "e_wallet", "bank_app")
CARE_CHANNELS = ("call_centre", "store", "app", "social")

# Prices in VND.
VOICE_VND_PER_MIN = 880
SMS_VND = 300
DATA_VND_PER_MB = 6
AIRTIME_LOAN_VND = 10_000
AIRTIME_LOAN_FEE_VND = 1_000

# Response to a retention offer: the four classic uplift quadrants, their shares, how they
# shift the baseline leaving hazard (sure things rarely leave, lost causes often do), and how
# likely each is to accept an offer when it is sent.
UPLIFT_TYPES = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
UPLIFT_SHARES = (0.30, 0.45, 0.18, 0.07)
UPLIFT_HAZARD = (1.0, 0.45, 2.6, 1.0)
UPLIFT_ACCEPT = (0.65, 0.5, 0.15, 0.05)
SLEEPING_DOG_HAZARD = 1.8  # a contacted sleeping dog's hazard multiplier while the offer runs
OFFER_DAYS = 60  # how long an accepted offer keeps working


@dataclass(frozen=True)
class SimulatedOffer:
    """An offer the synthetic operator's past campaigns sent (the product's catalogue entry is
    `serving.decision.Offer`)."""

    offer_id: str
    cost_vnd: int
    description: str


OFFERS: tuple[SimulatedOffer, ...] = (
    SimulatedOffer("DATA_BONUS", 15_000, "3 GB of bonus data for 30 days"),
    SimulatedOffer("RECHARGE_BONUS", 25_000, "50% bonus on the next top-up"),
    SimulatedOffer("TARIFF_DISCOUNT", 40_000, "20% off the plan for three months"),
    SimulatedOffer("LOYALTY_GIFT", 80_000, "a loyalty gift at a store"),
)

# How strongly each persona (rows, PERSONAS order) responds to each offer (columns, OFFERS
# order). A persuadable subscriber with strength s who accepts offer o sees the leaving
# hazard multiplied by 1 - s * AFFINITY[persona, o] for OFFER_DAYS days, and one already on
# the way out is won back with probability min(1, 2.5 * s * AFFINITY[persona, o]).
AFFINITY: tuple[tuple[float, ...], ...] = (
    (0.85, 0.35, 0.45, 0.30),  # heavy_data
    (0.50, 0.90, 0.55, 0.25),  # price_sensitive
    (0.20, 0.45, 0.85, 0.40),  # voice_first
    (0.30, 0.10, 0.60, 0.90),  # business_postpaid
    (0.25, 0.35, 0.15, 0.10),  # dormant_second_sim
)
