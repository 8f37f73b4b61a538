"""Reasons in plain words: the top churn drivers of each subscriber, for a CRM agent.

LightGBM's `pred_contrib` splits each raw churn score (log-odds) into one contribution per
feature (SHAP values for trees). Features are grouped into *drivers*, by what an agent can
do about them (`serving.drivers.DRIVERS`: top-ups, data use, dropped calls, care contacts,
port-out inquiries, ...), and a driver's contribution is the sum of its features'. The top
three drivers that push risk *up* are said as one sentence each, from the subscriber's own
values, in the language asked for ("top-ups fell by 60% in the last 30 days").

Descriptors that a subscriber cannot change and an agent cannot act on (province, region,
age band, device, acquisition channel, customer type: `drivers.CONTEXT`) never fill a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import lightgbm as lgb
import numpy as np

from serving.drivers import CONTEXT, DRIVERS, driver_of, measure
from serving.language import DEFAULT_LANGUAGE, Language, language

N_REASONS = 3

__all__ = ["CONTEXT", "DRIVERS", "N_REASONS", "driver_of", "measure", "phrase", "top_reasons"]


def phrase(driver: str, row: Callable[[str], object], lang: Language | None = None) -> str:
    """One driver in words, from the subscriber's values (`row(column)` reads one), with its
    first letter capitalised."""
    text = DRIVERS[driver].say(lang or language(DEFAULT_LANGUAGE), row)
    return text[:1].upper() + text[1:]


def top_reasons(
    booster: lgb.Booster,
    X: np.ndarray,
    feature_names: list[str],
    values: Mapping[str, np.ndarray],
    k: int = N_REASONS,
    languages: str | Sequence[str] = DEFAULT_LANGUAGE,
) -> list[list[str]]:
    """Per row, up to `k` sentences for the drivers that raise the churn score most.

    `X` is the encoded model matrix (columns `feature_names`); `values` the original
    columns, read to phrase each driver; `languages` one code for all rows, or one per row.
    """
    if len(X) == 0:
        return []
    contrib = booster.predict(X, pred_contrib=True)[:, : len(feature_names)]
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(feature_names):
        d = driver_of(name)
        if d is not None:  # context descriptors, and nothing else, have no driver
            groups.setdefault(d, []).append(i)
    if not groups:
        return [[] for _ in range(len(X))]
    names = list(groups)
    by_group = np.column_stack([contrib[:, idx].sum(axis=1) for idx in groups.values()])
    # Stable order on ties: larger contribution first, then declaration order.
    order = np.argsort(-by_group, axis=1, kind="stable")[:, :k]
    per_row = isinstance(languages, Sequence) and not isinstance(languages, str)
    out = []
    for r in range(len(X)):
        lang = language(languages[r] if per_row else languages)
        picked = [g for g in order[r] if by_group[r, g] > 0]
        out.append([phrase(names[g], lambda c, r=r: _value(values[c][r]), lang) for g in picked])
    return out


def _value(v):
    if isinstance(v, np.generic):
        v = v.item()
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v
