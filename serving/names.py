"""The answer's display fields: the codes of a scored row said in the answer's language.

Codes (`risk_band`, `value_tier`, `relationship_state`, `best_offer`) stay as they are for
machines; these columns are what a CRM screen shows a person ("khách hàng siêu cấp",
"cần quan tâm chăm sóc", the offer's description).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from serving.decision import Catalogue, Offer
from serving.language import Language, language


def offer_description(offer: Offer, lang: Language) -> str:
    """An offer's description in `lang`: the catalogue's text is the message id, so the
    shipped offers are translated by the gettext catalogue and an operator's own text,
    not in it, is shown as written."""
    return lang.gettext(offer.description) if offer.description else offer.offer_id


def display_names(
    languages: str | Sequence[str],
    n: int,
    band: Sequence[str],
    tier: Sequence[str],
    state: Sequence[str],
    best: Sequence[str | None],
    catalogue: Catalogue | None,
) -> dict[str, Any]:
    """The display columns for `n` rows; `languages` one code for all, or one per row."""
    codes = [languages] * n if isinstance(languages, str) else list(languages)
    offers = {o.offer_id: o for o in catalogue.offers} if catalogue is not None else {}
    cache: dict[tuple[str, str, Any], str | None] = {}

    def say(code: str, kind: str, value) -> str | None:
        key = (code, kind, value)
        if key not in cache:
            lang = language(code)
            if value is None:
                cache[key] = None
            elif kind == "offer":
                o = offers.get(value)
                cache[key] = offer_description(o, lang) if o is not None else None
            else:
                cache[key] = getattr(lang, kind)(value)
        return cache[key]

    def column(kind: str, values: Sequence) -> list[str | None]:
        if isinstance(languages, str):  # one language: phrase each distinct code once
            names = {v: say(languages, kind, v) for v in set(values)}
            return [names[v] for v in values]
        return [say(c, kind, v) for c, v in zip(codes, values, strict=True)]

    return {
        "language": np.asarray(codes, dtype=object),
        "risk_band_name": column("risk_band", band),
        "value_tier_name": column("value_tier", tier),
        "relationship_state_name": column("relationship_state", state),
        "best_offer_description": column("offer", best),
    }
