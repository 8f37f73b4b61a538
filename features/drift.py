"""Population stability index (PSI) per feature and for scores: drift between a reference
(the training snapshot, or last month) and a current snapshot.

PSI = sum over bins of (a - e) * ln(a / e), with e and a the reference and current shares.
Numeric columns use the reference's deciles as bin edges (missing values are a bin of their
own); categorical columns use their categories. Usual reading: below 0.1 stable, 0.1-0.25 a
moderate shift worth a look, above 0.25 a shift that breaks the model's assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPSILON = 1e-4  # floor on a bin's share, so empty bins do not give infinite PSI


@dataclass(frozen=True)
class DriftThresholds:
    warn: float = 0.1
    breach: float = 0.25


def _psi(e: np.ndarray, a: np.ndarray) -> float:
    e = np.maximum(e / max(e.sum(), 1), EPSILON)
    a = np.maximum(a / max(a.sum(), 1), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_numeric(reference: pd.Series, current: pd.Series, bins: int = 10) -> float:
    ref = pd.to_numeric(reference, errors="coerce").to_numpy(dtype=float)
    cur = pd.to_numeric(current, errors="coerce").to_numpy(dtype=float)
    finite = ref[np.isfinite(ref)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))) if len(finite) else []
    inner = edges[1:-1] if len(edges) > 2 else np.array([])

    def counts(x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x)
        binned = np.bincount(np.searchsorted(inner, x[ok], side="right"), minlength=len(inner) + 1)
        return np.append(binned, (~ok).sum()).astype(float)

    return _psi(counts(ref), counts(cur))


def psi_categorical(reference: pd.Series, current: pd.Series) -> float:
    ref = reference.astype("string").fillna("<missing>")
    cur = current.astype("string").fillna("<missing>")
    cats = sorted(set(ref.unique()) | set(cur.unique()))
    e = ref.value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float)
    a = cur.value_counts().reindex(cats, fill_value=0).to_numpy(dtype=float)
    return _psi(e, a)


def drift_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    thresholds: DriftThresholds = DriftThresholds(),
) -> pd.DataFrame:
    """One row per column: PSI and status (ok / warn / breach), worst first."""
    missing = [c for c in columns if c not in reference.columns or c not in current.columns]
    if missing:
        raise KeyError(f"drift: columns missing from reference or current: {missing}")
    rows = []
    for c in columns:
        numeric = pd.api.types.is_numeric_dtype(reference[c]) and not pd.api.types.is_bool_dtype(
            reference[c]
        )
        value = (
            psi_numeric(reference[c], current[c])
            if numeric
            else psi_categorical(reference[c], current[c])
        )
        status = (
            "breach" if value > thresholds.breach else "warn" if value > thresholds.warn else "ok"
        )
        rows.append({"column": c, "psi": value, "status": status})
    return (
        pd.DataFrame(rows).sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)
    )
