"""The synthetic operator: reproducible, shaped like a prepaid-heavy operator, learnable."""

import hashlib
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from features.contract.sources import check_tables, read_table
from features.contract.validate import validate_raw
from features.snapshot import build_snapshot, connect
from features.synthetic.generator import GeneratorConfig, generate_operator
from features.synthetic.world import make_world
from tests.conftest import TINY

MONTHS = [date(2025, m, 1) for m in range(3, 9)]  # labels need 90 days of data after T


def digest(root):
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.parquet")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def monthly_figures(raw):
    """Per snapshot month: eligible base, churn label rate, top-20% share of 90-day revenue."""
    con = connect(raw)
    out = []
    for t in MONTHS:
        s = build_snapshot(con, t, labels=True)
        value = np.sort(s.value_vnd_90d.to_numpy())[::-1]
        out.append((len(s), s.churned_30d.mean(), value[: len(value) // 5].sum() / value.sum()))
    return pd.DataFrame(out, columns=["base", "churn", "pareto"], index=MONTHS)


@pytest.fixture(scope="module")
def tiny_figures(tiny_raw):
    return monthly_figures(tiny_raw)


def test_same_seed_same_bytes_different_seed_different_operator(tmp_path):
    cfg = GeneratorConfig(subscribers=300, months=5, seed=3, block_size=200)
    a = generate_operator(cfg, tmp_path / "a" / "raw")
    generate_operator(cfg, tmp_path / "b" / "raw")
    generate_operator(
        GeneratorConfig(subscribers=300, months=5, seed=4, block_size=200), tmp_path / "c" / "raw"
    )
    assert digest(tmp_path / "a") == digest(tmp_path / "b")  # raw tables and truth
    assert digest(tmp_path / "a" / "raw") != digest(tmp_path / "c" / "raw")
    assert a["blocks"] == 2 and a["data_end"] == "2025-06-01" and a["truth"] == "../truth"
    assert sorted(p.name for p in (tmp_path / "a" / "truth").iterdir()) == [
        "churn_probability", "future_value", "offer_effect", "survival"]  # fmt: skip


def test_workers_and_no_survival_truth_keep_every_other_byte(tmp_path):
    cfg = GeneratorConfig(subscribers=300, months=5, seed=3, block_size=100)
    serial = generate_operator(cfg, tmp_path / "a" / "raw")
    parallel = generate_operator(cfg, tmp_path / "b" / "raw", workers=2)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")  # raw tables and truth
    assert parallel == serial and parallel["blocks"] == 3
    lean = replace(cfg, survival_truth=False)
    m = generate_operator(lean, tmp_path / "c" / "raw", workers=2)
    assert digest(tmp_path / "c" / "raw") == digest(tmp_path / "a" / "raw")
    for table in ("churn_probability", "future_value", "offer_effect"):
        assert digest(tmp_path / "c" / "truth" / table) == digest(tmp_path / "a" / "truth" / table)
    assert not (tmp_path / "c" / "truth" / "survival").exists()
    assert m["generator"]["survival_truth"] is False and "survival_truth" not in serial["generator"]
    with pytest.raises(ValueError, match="workers"):
        generate_operator(cfg, tmp_path / "d" / "raw", workers=0)


def test_another_seed_is_another_operator_with_the_same_statistics(tmp_path, tiny_figures):
    other = generate_operator(
        GeneratorConfig(subscribers=TINY.subscribers, months=TINY.months, seed=12), tmp_path / "raw"
    )
    figures = monthly_figures(tmp_path / "raw")
    assert other["rows"]["subscribers"] == TINY.subscribers
    assert abs(figures.churn.mean() - tiny_figures.churn.mean()) < 0.015
    assert abs(figures.pareto.mean() - tiny_figures.pareto.mean()) < 0.05
    assert abs(figures.base.mean() / tiny_figures.base.mean() - 1) < 0.08


def test_writes_the_whole_contract_and_it_validates(tiny_raw):
    assert set(check_tables(tiny_raw)) == {
        "subscribers", "usage_daily", "recharges", "invoices", "care_contacts",
        "subscription_events", "campaigns"}  # fmt: skip
    report = validate_raw(tiny_raw)
    assert report.problems == () and report.data_end == "2025-11-01"


def test_mostly_prepaid_with_vnd_amounts(tiny_raw):
    subs = read_table(tiny_raw, "subscribers")
    assert 0.85 <= (subs.contract_type == "prepaid").mean() <= 0.95
    top = read_table(tiny_raw, "recharges")
    assert (top.amount_vnd >= 10_000).all() and (top.amount_vnd % 1000 == 0).all()
    cards = top[top.channel != "airtime_loan"].amount_vnd
    assert 0.4 <= cards.between(10_000, 50_000).mean() <= 0.95  # the price-sensitive majority
    assert (top.channel == "airtime_loan").mean() > 0.01
    inv = read_table(tiny_raw, "invoices")
    late = (inv.paid_date.isna()) | (inv.paid_date > inv.due_date)
    assert 0.03 <= late.mean() <= 0.3


def test_monthly_churn_in_a_prepaid_band(tiny_figures):
    assert tiny_figures.churn.between(0.02, 0.09).all(), tiny_figures


def test_acquisitions_balance_churn(tiny_figures):
    assert tiny_figures.base.iloc[-1] / tiny_figures.base.iloc[0] > 0.9, tiny_figures


def test_top_fifth_brings_sixty_to_eighty_percent_of_revenue(tiny_raw, tiny_figures):
    assert tiny_figures.pareto.between(0.6, 0.8).all(), tiny_figures
    usage = read_table(tiny_raw, "usage_daily", columns=["subscriber_id", "revenue_vnd"])
    rev = np.sort(usage.groupby("subscriber_id").revenue_vnd.sum().to_numpy())[::-1]
    assert 0.6 <= rev[: len(rev) // 5].sum() / rev.sum() <= 0.8


def test_churners_usage_and_recharges_fall_before_they_leave(tiny_raw):
    snap = build_snapshot(tiny_raw, date(2025, 6, 1), labels=True)
    churned = snap.churned_30d == 1
    for measure in ("revenue_vnd_sum", "recharge_vnd_sum", "recharge_count"):
        last, before = snap[f"{measure}_30d"], (snap[f"{measure}_90d"] - snap[f"{measure}_30d"]) / 2
        churners = last[churned].sum() / before[churned].sum()
        stayers = last[~churned].sum() / before[~churned].sum()
        assert churners < 0.8 * stayers and 0.85 < stayers < 1.2, (measure, churners, stayers)


def test_complaints_and_port_out_inquiries_precede_leaving(tiny_raw):
    snap = build_snapshot(tiny_raw, date(2025, 6, 1), labels=True)
    care = snap.groupby("churned_30d").care_contacts_count_30d.mean()
    assert care[1] > 2 * care[0]


def test_campaigns_have_random_control_groups(tiny_raw):
    c = read_table(tiny_raw, "campaigns")
    share = c.groupby("campaign_id").group.apply(lambda g: (g == "control").mean())
    assert share.between(0.05, 0.4).all()
    assert not c[c.group == "control"].accepted.any()
    assert set(c.offer_id) == {"DATA_BONUS", "RECHARGE_BONUS", "TARIFF_DISCOUNT", "LOYALTY_GIFT"}
    assert (c.sent_ts.dt.day == 1).all() and (c.sent_ts.dt.hour == 9).all()


def test_tet_raises_usage_before_and_leaving_after():
    world = make_world(seed=1, start=date(2025, 1, 1), n_days=120)  # Tết 2025 is 29 January
    assert world.season_usage[20] == 1.25  # 21 January
    assert world.season_usage[30] == 0.7  # 31 January
    assert world.season_hazard[40] == 1.6  # 10 February
    assert world.season_usage[90] == world.season_hazard[90] == 1.0


def test_bad_config_names_the_field():
    with pytest.raises(ValueError, match="GeneratorConfig.start"):
        GeneratorConfig(start=date(2025, 1, 15))
    with pytest.raises(ValueError, match="GeneratorConfig.control_share"):
        GeneratorConfig(control_share=0.0)


def test_tiny_config_is_what_the_suite_uses():
    assert (TINY.subscribers, TINY.months, TINY.seed) == (1500, 10, 11)


def test_minutes_capped_where_the_contract_calls_them_implausible():
    """The 20,000-subscriber default once drew a 1,947-minute day, which `retain train`
    (rightly) refused: the generator caps a day's minutes at the contract's limit."""
    from features.contract.rules import IMPLAUSIBLE_ABOVE
    from features.synthetic.simulation import MINUTES_PER_DAY

    assert MINUTES_PER_DAY == IMPLAUSIBLE_ABOVE["min"] == 1440
