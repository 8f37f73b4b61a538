"""The languages Retain speaks to people in: gettext catalogues and locale-aware numbers.

English is the source language (every message id is the English text); Vietnamese comes from
`serving/locale/vi/LC_MESSAGES/retain.po`. The `.po` files are the only source: they are
compiled in memory by Babel (`read_po` -> `write_mo` -> `Translations`) the first time a
language is used, so there is no compiled `.mo` file to fall out of date and no build step.
Numbers, percentages, dates and VND are formatted by Babel from CLDR data
(`1.234.567 ₫` in vi_VN, `₫1,234,567` in en_US).

Only text for people is translated: codes (value tiers, relationship states, offer ids) and
numbers stay language-independent in every machine-readable field.
"""

from __future__ import annotations

import decimal
import functools
import gettext
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from importlib.resources import files

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_currency, parse_pattern
from babel.support import Translations

LANGUAGES = ("en", "vi")
DEFAULT_LANGUAGE = "en"
DOMAIN = "retain"
_LOCALES = {"en": "en_US", "vi": "vi_VN"}


class LanguageError(ValueError):
    """A language Retain has no catalogue for."""


def N_(message: str) -> str:  # noqa: N802 - gettext's marker name, which Babel's extractor knows
    """Mark a message for the catalogue without translating it here (data tables)."""
    return message


def NN_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802
    """Mark a singular and plural pair for the catalogue (extracted with `-k NN_:1,2`)."""
    return singular, plural


def NP_(context: str, message: str) -> str:  # noqa: N802
    """Mark a message with its context for the catalogue (extracted with `-k NP_:1c,2`)."""
    return message


# The display names of the operator's codes (`features.tiers`), for the extractor; a test
# checks that every code has its translation.
DISPLAY_NAMES = (
    NP_("value tier", "super"),
    NP_("value tier", "large"),
    NP_("value tier", "medium"),
    NP_("value tier", "small"),
    NP_("value tier", "inactive"),
    NP_("value tier", "potential"),
    NP_("relationship state", "loyal"),
    NP_("relationship state", "growing"),
    NP_("relationship state", "needs care"),
    NP_("relationship state", "no potential"),
    NP_("risk band", "high"),
    NP_("risk band", "medium"),
    NP_("risk band", "low"),
)


@dataclass(frozen=True)
class Language:
    """One language: its translations and its locale's number and date formats."""

    code: str
    locale: Locale
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: float) -> str:
        return self.translations.ngettext(singular, plural, int(n) if n == int(n) else 2)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def number(self, x: float, digits: int = 0) -> str:
        """A number with the locale's separators, rounded to `digits` decimals; a missing
        value (None or NaN: nothing to measure) as a dash."""
        if _missing(x):
            return "-"
        value = round(float(x), digits)
        return _applied("#,##0" + ("." + "0" * digits if digits else ""), value, self.locale)

    def vnd(self, x: float) -> str:
        """Whole VND with the locale's separators and symbol (VND has no minor unit)."""
        if _missing(x):
            return "-"
        with _wide():
            return format_currency(round(float(x)), "VND", locale=self.locale)

    def percent(self, share: float) -> str:
        """A share as a whole percentage (0.6 -> 60%)."""
        if _missing(share):
            return "-"
        return _applied("#,##0%", float(share), self.locale)

    def date(self, day: date) -> str:
        return format_date(day, format="long", locale=self.locale)

    # Display names of the operator's codes (the codes themselves never change).
    def value_tier(self, code: str) -> str:
        return self.pgettext("value tier", code)

    def relationship_state(self, code: str) -> str:
        return self.pgettext("relationship state", code)

    def risk_band(self, code: str) -> str:
        return self.pgettext("risk band", code)


def _missing(x) -> bool:
    return (
        x is None
        or (isinstance(x, float | int) and x != x)
        or (hasattr(x, "dtype") and bool(x != x))
    )


@functools.cache
def _pattern(text: str) -> NumberPattern:
    """Babel's `format_decimal` and `format_percent` parse their pattern on every call; a
    scoring run formats tens of thousands of numbers in the reasons, so each pattern is
    parsed once here and applied as those functions apply it."""
    return parse_pattern(text)


def _applied(pattern: str, value: float, locale: Locale) -> str:
    """`pattern` applied to `value` in `locale`, as babel's `format_decimal` and
    `format_percent` apply it. A batch phrases hundreds of thousands of reasons whose
    numbers repeat (counts, days), and babel's formatting was about 40% of the phrasing's
    time: the text of a float is kept once formatted. Keyed with the sign bit, since
    -0.0 == 0.0 but babel writes "-0"."""
    return _formatted(pattern, value, math.copysign(1.0, value), locale)


@functools.lru_cache(maxsize=1 << 16)
def _formatted(pattern: str, value: float, sign: float, locale: Locale) -> str:
    with _wide():
        return _pattern(pattern).apply(value, locale)


def _wide() -> decimal.localcontext:
    """Babel rounds through `decimal` at the context's precision (28 digits), which a finite
    float can exceed (1e308 from a fuzzed request): 400 digits hold any float."""
    return decimal.localcontext(prec=400, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


@functools.cache
def language(code: str = DEFAULT_LANGUAGE) -> Language:
    """The language `code` (`en` or `vi`), its catalogue compiled once per process."""
    if code not in LANGUAGES:
        raise LanguageError(f"language: '{code}' is not one of {', '.join(LANGUAGES)}")
    return Language(code, Locale.parse(_LOCALES[code]), _translations(code))


def _translations(code: str) -> gettext.NullTranslations:
    if code == "en":  # the source language: message ids are the English text
        return gettext.NullTranslations()
    source = files("serving").joinpath("locale", code, "LC_MESSAGES", f"{DOMAIN}.po")
    with source.open("rb") as f:
        catalog = read_po(f, locale=_LOCALES[code], domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language to answer in for an HTTP `Accept-Language` header (RFC 9110 ranges with
    q-values; Babel matches them to the catalogues), `default` when nothing matches. Babel
    has no header parser, hence the few lines here."""
    ranges = []
    for i, part in enumerate((accept_language or "")[:1000].split(",")):
        m = _RANGE.match(part)
        if not m or m.group(1) == "*":
            continue
        try:
            q = float(m.group(2)) if m.group(2) is not None else 1.0
        except ValueError:
            continue
        if q > 0:
            ranges.append((-q, i, m.group(1)))
    preferred = [tag for _, _, tag in sorted(ranges)]
    return negotiate_locale(preferred, list(LANGUAGES), sep="-") or default


def check(code: str) -> str:
    """`code` if Retain speaks it, else `LanguageError` naming the choices."""
    language(code)
    return code


def extract_offers(fileobj, keywords, comment_tags, options):
    """A Babel extractor for an offer catalogue TOML: each offer's description is a message
    (`babel.cfg` maps `serving/offers.toml` to it), so `pybabel extract` keeps the shipped
    offers' descriptions in the catalogue."""
    import tomllib

    data = tomllib.loads(fileobj.read().decode("utf-8"))
    for offer in data.get("offer", []):
        if offer.get("description"):
            yield 0, None, offer["description"], [f"offer {offer.get('offer_id', '')}"]
