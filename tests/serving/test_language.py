"""The languages: the Vietnamese catalogue covers every message the code says (extracted by
Babel exactly as `pybabel extract -F babel.cfg` does), keeps each message's placeholders,
names every code of the operator's segments; numbers and VND per locale; Accept-Language."""

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from features.tiers import RELATIONSHIP_STATES, RISK_BANDS, VALUE_TIERS
from serving.decision import Catalogue
from serving.language import LanguageError, check, language, negotiate

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "NN_": (1, 2),
    "NP_": ((1, "c"), 2),
}


@pytest.fixture(scope="module")
def catalogue():
    with open(ROOT / "serving/locale/vi/LC_MESSAGES/retain.po", "rb") as f:
        return read_po(f, locale="vi_VN")


def _extracted() -> set[tuple[str | None, str]]:
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    out = set()
    for _, _, message, _, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        out.add((context, message[0] if isinstance(message, tuple) else message))
    return out


def test_catalogue_holds_exactly_the_messages_of_the_code(catalogue):
    said = _extracted()
    held = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalogue if m.id}
    assert said - held == set(), "messages without a Vietnamese translation"
    assert held - said == set(), "stale messages no code says any more"
    for m in catalogue:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings) and not m.fuzzy, ids
        wanted = set(re.findall(r"\{\w+\}", ids[-1]))
        assert all(set(re.findall(r"\{\w+\}", s)) == wanted for s in strings), ids


def test_every_code_and_shipped_offer_has_its_vietnamese_name():
    vi = language("vi")
    assert [vi.value_tier(c) for c in VALUE_TIERS] == [
        "khách hàng siêu cấp",
        "khách hàng lớn",
        "khách hàng vừa",
        "khách hàng nhỏ",
        "khách hàng phi tích cực",
        "khách hàng tiềm năng",
    ]
    assert [vi.relationship_state(c) for c in RELATIONSHIP_STATES] == [
        "trung thành",
        "tăng trưởng mạnh",
        "cần quan tâm chăm sóc",
        "không có tiềm năng",
    ]
    assert all(vi.risk_band(c) != c for c in RISK_BANDS)
    for offer in Catalogue.from_toml().offers:
        assert vi.gettext(offer.description) != offer.description, offer.offer_id


def test_numbers_money_and_dates_per_locale():
    vi, en = language("vi"), language("en")
    assert vi.vnd(1_234_567.4) == "1.234.567\xa0₫"
    assert en.vnd(7_149_619.614) == "₫7,149,620"
    assert vi.number(12_932) == "12.932" and en.number(12_932) == "12,932"
    assert vi.percent(0.6) == "60%" and en.number(0.1234, 3) == "0.123"
    assert vi.date(date(2026, 1, 1)) == "1 tháng 1, 2026"


def test_formatted_numbers_are_babels_however_often_asked():
    """Numbers are formatted once and kept: asked again, in any order, they are still what
    babel's format_decimal and format_percent write; -0.0 (equal to 0.0) keeps its sign."""
    values = [0.0, -0.0, -0.4, 0.4, 2.5, 3.5, 12_932.0, 0.125, -0.0049]
    for code in ("en", "vi"):
        lang = language(code)
        for _ in range(2):
            for v in values + values[::-1]:
                assert lang.number(v) == format_decimal(round(v, 0), "#,##0", locale=lang.locale)
                assert lang.number(v, 1) == format_decimal(
                    round(v, 1), "#,##0.0", locale=lang.locale
                )
                assert lang.percent(v) == format_percent(v, "#,##0%", locale=lang.locale)
    assert language("en").number(-0.0) == "-0" and language("en").number(0.0) == "0"
    assert language("vi").percent(-0.0) == "-0%" and language("vi").percent(0.0) == "0%"


def test_accept_language_and_unknown_languages():
    assert negotiate("vi-VN,vi;q=0.9,en;q=0.8") == "vi"
    assert negotiate("en;q=0.1, vi;q=0.9") == "vi"
    assert negotiate("fr, vi;q=0.5") == "vi"
    assert negotiate("fr") == "en" and negotiate(None, default="vi") == "vi"
    assert negotiate("vi;q=0, en") == "en" and negotiate("x" * 5000 + ",vi") == "en"
    assert check("vi") == "vi"
    with pytest.raises(LanguageError, match="'fr' is not one of en, vi"):
        check("fr")
