"""The building blocks of the scoring report's page: tables of formatted cells, figures
embedded as PNG data URIs, and the page with its screen and print style.

Cells are formatted before they reach a table (whole VND, counts and shares in the report's
locale), so no table shows pandas' default float repr.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;
color:#1a202c;line-height:1.4}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:2px solid #2b6cb0;padding-bottom:.2em}
p.note{color:#4a5568;font-size:.9em}
table.t{border-collapse:collapse;margin:1em 0;max-width:100%}
table.t td,table.t th{padding:.25em .7em;border-bottom:1px solid #e2e8f0;vertical-align:top}
table.t th{background:#edf2f7;text-align:left}
table.t td.n{text-align:right;white-space:nowrap}
table.t td.w{overflow-wrap:anywhere}
img{max-width:100%;height:auto}
section{break-inside:auto}
@media print{
 body{max-width:none;margin:0;font-size:10pt}
 h2{break-after:avoid;page-break-after:avoid}
 table.t,img{break-inside:avoid;page-break-inside:avoid}
 section{break-before:auto}
}
"""


def table(header: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> str:
    """An HTML table of already formatted cells; columns in `numeric` are right-aligned,
    the others wrap."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"n" if j in numeric else "w"}">{html.escape(str(v))}</td>'
            for j, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f'<table class="t"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def figure(width: float = 6.0, height: float = 3.2):
    """A figure that needs no GUI backend (drawn on Agg whatever pyplot is set to)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def png(fig, alt: str) -> str:
    """The figure as an <img> with a PNG data URI (no clock reading in its metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def section(title: str, *parts: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2>\n" + "\n".join(parts) + "\n</section>"


def page(title: str, lang: str, body: Sequence[str]) -> str:
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
