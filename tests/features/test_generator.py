"""The synthetic operator: reproducible, shaped like a prepaid-heavy operator, learnable."""

import hashlib
from datetime import date

import numpy as np
import pandas as pd

from features.generator import GeneratorConfig, generate_operator
from features.snapshot import build_snapshot
from features.sources import check_tables, read_table
from tests.conftest import TINY


def digest(root):
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.parquet")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_different_seed_different_operator(tmp_path):
    cfg = GeneratorConfig(subscribers=300, months=5, seed=3, block_size=200)
    a = generate_operator(cfg, tmp_path / "a")
    generate_operator(cfg, tmp_path / "b")
    generate_operator(
        GeneratorConfig(subscribers=300, months=5, seed=4, block_size=200), tmp_path / "c"
    )
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert a["blocks"] == 2 and a["data_end"] == "2025-06-01"


def test_writes_the_whole_contract(tiny_raw):
    assert set(check_tables(tiny_raw)) == {
        "subscribers",
        "usage_daily",
        "recharges",
        "invoices",
        "care_contacts",
        "subscription_events",
        "campaigns",
    }


def test_mostly_prepaid_with_vnd_amounts(tiny_raw):
    subs = read_table(tiny_raw, "subscribers")
    assert 0.85 <= (subs.contract_type == "prepaid").mean() <= 0.95
    assert subs.subscriber_id.is_unique
    top = read_table(tiny_raw, "recharges")
    assert (top.amount_vnd >= 10_000).all() and (top.amount_vnd % 1000 == 0).all()
    usage = read_table(tiny_raw, "usage_daily")
    assert not usage.duplicated(["subscriber_id", "date"]).any()
    assert (usage.revenue_vnd >= 0).all()


def test_monthly_churn_in_a_prepaid_band(tiny_raw):
    rates = [
        build_snapshot(tiny_raw, date(2025, m, 1), labels=True)["churned_30d"].mean()
        for m in (4, 5, 6, 7)
    ]
    assert all(0.01 <= r <= 0.12 for r in rates), rates


def test_churners_usage_falls_before_they_leave(tiny_raw):
    snap = build_snapshot(tiny_raw, date(2025, 6, 1), labels=True)
    # Revenue of the last 30 days against the 30 before, per group.
    older = snap.revenue_vnd_sum_90d - snap.revenue_vnd_sum_30d
    trend = (snap.revenue_vnd_sum_30d + 1) / (older / 2 + 1)
    churners, stayers = trend[snap.churned_30d == 1], trend[snap.churned_30d == 0]
    assert churners.median() < 0.8 * stayers.median()


def test_revenue_is_concentrated(tiny_raw):
    usage = read_table(tiny_raw, "usage_daily", columns=["subscriber_id", "revenue_vnd"])
    rev = np.sort(usage.groupby("subscriber_id").revenue_vnd.sum().to_numpy())[::-1]
    share = rev[: len(rev) // 5].sum() / rev.sum()
    assert 0.5 <= share <= 0.85


def test_campaigns_have_random_control_groups(tiny_raw):
    c = read_table(tiny_raw, "campaigns")
    share = c.groupby("campaign_id").group.apply(lambda g: (g == "control").mean())
    assert share.between(0.05, 0.4).all()
    assert not c[c.group == "control"].accepted.any()
    assert pd.Series(c.offer_id).nunique() >= 3


def test_tiny_config_is_what_the_suite_uses():
    assert TINY.subscribers == 1500
