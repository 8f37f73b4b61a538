"""The model report: pictures of a training run and one self-contained HTML page.

Pictures: cumulative gains and lift, calibration curve, decile value chart, feature
importance (gain) and a summary of LightGBM's own per-feature contributions (`pred_contrib`).
Figures are drawn with matplotlib's Agg backend, chosen here and not at package import.
"""

from __future__ import annotations

import base64
import html
import io

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.vector import model_frame
from training.backtest import mean_over_folds
from training.metrics import decile_table


def _plt():
    """pyplot, imported when a figure is drawn. No backend is forced: headless, matplotlib
    falls back to Agg by itself, and in a notebook the figures display inline."""
    import matplotlib.pyplot as plt

    return plt


def gains_figure(y, scores: dict[str, np.ndarray]):
    """Cumulative share of churners captured (left) and lift (right) by share contacted."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    y = np.asarray(y, dtype=float)
    share = np.arange(1, len(y) + 1) / len(y)
    for name, s in scores.items():
        order = np.argsort(-np.asarray(s, dtype=float), kind="stable")
        captured = np.cumsum(y[order]) / y.sum()
        a.plot(share, captured, label=name)
        b.plot(share[9:], (captured / share)[9:], label=name)
    a.plot([0, 1], [0, 1], "k:", label="random")
    a.set(
        xlabel="share of base contacted",
        ylabel="share of churners captured",
        title="Cumulative gains",
    )
    b.axhline(1, color="k", ls=":")
    b.set(xlabel="share of base contacted", ylabel="lift", title="Lift", xlim=(0, 1))
    a.legend()
    fig.tight_layout()
    return fig


def calibration_figure(y, probabilities: dict[str, np.ndarray], bins: int = 10):
    """Observed churn rate against mean predicted probability in equal-count bins."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    y = np.asarray(y, dtype=float)
    top = 0.0
    for name, p in probabilities.items():
        p = np.asarray(p, dtype=float)
        parts = np.array_split(np.argsort(p, kind="stable"), bins)
        mp = [p[i].mean() for i in parts]
        ob = [y[i].mean() for i in parts]
        top = max(top, *mp, *ob)
        ax.plot(mp, ob, "o-", label=name)
    ax.plot([0, top], [0, top], "k:", label="perfect")
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed churn rate",
        title="Calibration (equal-count bins)",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def deciles_figure(actual, predicted):
    """Mean predicted and mean actual value per decile of the prediction."""
    plt = _plt()
    t = decile_table(actual, predicted)
    fig, ax = plt.subplots(figsize=(7, 4))
    x = np.arange(len(t))
    ax.bar(x - 0.2, t["mean_predicted"], 0.4, label="predicted")
    ax.bar(x + 0.2, t["mean_actual"], 0.4, label="actual")
    ax.set_xticks(x, [str(i) for i in t.index])
    ax.set(
        xlabel="decile of predicted value (1 = highest)",
        ylabel="mean value",
        title="Value by decile",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def importance_figure(booster: lgb.Booster, title: str, top: int = 20):
    plt = _plt()
    gain = pd.Series(booster.feature_importance("gain"), index=booster.feature_name()).nlargest(
        top
    )[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(gain) + 1))
    ax.barh(gain.index, gain.to_numpy())
    ax.set(xlabel="total gain", title=title)
    fig.tight_layout()
    return fig


def contributions(model, frame: pd.DataFrame) -> pd.DataFrame:
    """Per feature of a Booster on the feature vector, or of a fitted `training.models`
    estimator (with the inputs it adds): mean |contribution| and mean contribution (raw
    score units), from LightGBM's `pred_contrib`; sorted by the first."""
    plain = isinstance(model, lgb.Booster)
    booster = model if plain else model.booster_
    X = model_frame(frame) if plain else model.input_frame(frame)
    contrib = booster.predict(X, pred_contrib=True)
    names = booster.feature_name()
    c = pd.DataFrame(contrib[:, : len(names)], columns=names)
    return pd.DataFrame(
        {"mean_abs_contribution": c.abs().mean(), "mean_contribution": c.mean()}
    ).sort_values("mean_abs_contribution", ascending=False)


def contributions_figure(summary: pd.DataFrame, title: str, top: int = 20):
    plt = _plt()
    s = summary.head(top)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(s) + 1))
    ax.barh(s.index, s["mean_abs_contribution"], label="mean |contribution|")
    ax.barh(s.index, s["mean_contribution"], alpha=0.6, label="mean contribution")
    ax.set(xlabel="contribution to the raw score (pred_contrib)", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    _plt().close(fig)
    return buf.getvalue()


def render_html(title: str, tables: dict[str, pd.DataFrame], images: dict[str, bytes]) -> str:
    """One self-contained page: every table, then every picture as an embedded PNG."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for name, t in tables.items():
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.append(t.to_html(float_format=lambda v: f"{v:,.4f}", na_rep="-"))
    for name, data in images.items():
        b64 = base64.b64encode(data).decode()
        parts.append(
            f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' "
            f"src='data:image/png;base64,{b64}'>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def model_report(fitted, config, bt: dict) -> tuple[dict, str]:
    """The model report of a training run (a `training.pipeline.Fitted`): its figures and
    the HTML page that embeds them with the evaluation tables."""
    snap = config.snapshot
    y_c, y_v = fitted.test[snap.churn_label], fitted.test[snap.value_label]
    sample = fitted.test.head(5000)
    contrib = {
        k: contributions(m, sample) for k, m in (("churn", fitted.churn), ("value", fitted.value))
    }
    figures = {
        "churn_gains_lift": gains_figure(
            y_c, {k: v for k, v in fitted.churn_scores.items() if k != "model_raw"}
        ),
        "churn_calibration": calibration_figure(
            y_c, {k: fitted.churn_scores[k] for k in ("model_raw", "model")}
        ),
        "value_deciles": deciles_figure(y_v, fitted.value_scores["model"]),
        "churn_importance": importance_figure(fitted.churn.booster_, "churn: gain"),
        "value_importance": importance_figure(fitted.value.booster_, "value: gain"),
        "churn_contributions": contributions_figure(contrib["churn"], "churn"),
        "value_contributions": contributions_figure(contrib["value"], "value"),
    }
    images = {name: png(fig) for name, fig in figures.items()}
    tables = {
        "churn on the test snapshot": fitted.churn_test,
        "value on the test snapshot": fitted.value_test,
        "value deciles (model)": decile_table(y_v, fitted.value_scores["model"]),
    }
    tables |= {f"{k} backtest, mean over folds": mean_over_folds(t) for k, t in bt.items()}
    tables |= {
        "churn per segment": fitted.churn_segments,
        "value per segment": fitted.value_segments,
        "churn contributions": contrib["churn"].head(20),
        "value contributions": contrib["value"].head(20),
    }
    page = render_html(f"Retain model report, test {config.test_as_of}", tables, images)
    return figures, page
