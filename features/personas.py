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


@dataclass(frozen=True)
class Offer:
    offer_id: str
    cost_vnd: int
    effect: float  # multiplier on a persuadable subscriber's leaving hazard when treated


OFFERS: tuple[Offer, ...] = (
    Offer("DATA_BONUS", 15_000, 0.55),
    Offer("RECHARGE_BONUS", 25_000, 0.45),
    Offer("TARIFF_DISCOUNT", 40_000, 0.35),
    Offer("LOYALTY_GIFT", 80_000, 0.30),
)
