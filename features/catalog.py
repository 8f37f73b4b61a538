"""The feature catalogue: every feature's name, type, source and description (and its null
share on a snapshot), rendered as Markdown from the declarations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.definitions import FEATURES, feature_schema_version


def catalog_frame(snapshot: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per feature; with a snapshot, the share of nulls in it too."""
    rows = []
    for f in FEATURES:
        row = {"feature": f.name, "type": f.kind, "source": f.table, "description": f.description}
        if snapshot is not None:
            row["null_share"] = float(snapshot[f.name].isna().mean())
        rows.append(row)
    return pd.DataFrame(rows)


def write_catalog(path: Path, snapshot: pd.DataFrame | None = None) -> Path:
    frame = catalog_frame(snapshot)
    lines = [
        f"# Feature catalogue ({feature_schema_version()})",
        "",
        f"{len(frame)} features, generated from `features/definitions.py` by `retain catalog`. "
        "Names read `{measure}_{agg}_{window}d`; every feature reads only rows strictly before "
        "`as_of`. Counts and sums are 0 when the subscriber had no rows; ratios, means and "
        "recency are null then. When an optional raw table is absent its features are null.",
        "",
        "| " + " | ".join(frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    for _, r in frame.iterrows():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in r]
        lines.append("| " + " | ".join(cells) + " |")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
