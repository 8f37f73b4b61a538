"""Past campaigns measured from their control groups: literal differences and intervals,
the power calculation, and the raw tables of the tiny operator."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from serving.campaign_gain import (
    ALL_OFFERS,
    Z95,
    campaign_outcomes,
    campaign_size_needed,
    control_needed,
    measure,
    off_policy_value,
    past_campaigns,
)
from tests.conftest import TINY_SCORE_AS_OF


def outcomes() -> pd.DataFrame:
    """Campaign C1: offer A, 4 treated (3 retained, revenue 100 each) against 4 controls
    (1 retained, revenue 40 each); cost 10 per treated row. C2 has no control."""
    rows = [("C1", "A", True, 10, r, 100.0) for r in (1, 1, 1, 0)]
    rows += [("C1", "A", False, 0, r, 40.0) for r in (1, 0, 0, 0)]
    rows += [("C2", "A", True, 10, 1, 5.0)] * 3
    frame = pd.DataFrame(
        rows, columns=["campaign_id", "offer_id", "treated", "cost_vnd", "retained", "revenue_vnd"]
    )
    return frame.assign(sent_day=date(2025, 1, 1), subscriber_id=np.arange(len(frame)))


def test_measured_gain_literals():
    m = measure(outcomes())
    assert set(m.campaign_id) == {"C1"}  # no control group: not measurable
    row = m[m.offer_id == ALL_OFFERS].iloc[0]
    assert row.treated == 4 and row.control == 4
    assert row.retention_uplift == pytest.approx(0.5)
    se = np.sqrt(0.25 / 4 + 0.25 / 4)  # var(ddof=1) of 1,1,1,0 and of 1,0,0,0 is 0.25
    assert row.retention_uplift_low == pytest.approx(0.5 - Z95 * se)
    assert row.incremental_retained == pytest.approx(2.0)
    assert row.net_gain_vnd == pytest.approx(60 * 4 - 40)
    assert row.net_gain_low_vnd == pytest.approx(row.net_gain_high_vnd)  # no revenue spread


def test_power_calculation():
    # sd 0.5, effect 0.1: equal groups need 2 x (0.5 x 2.8016 / 0.1)^2 = 392.4 -> 393 each.
    assert control_needed(0.5, 0.1, 393) == pytest.approx(393, abs=1)
    assert control_needed(0.5, 0.1, 100) is None  # too few treated for any control
    assert campaign_size_needed(0.5, 0.1, 0.5) == pytest.approx(785, abs=1)
    assert control_needed(0.5, 0.0, 100) is None


def test_tiny_operator_campaigns_are_measured(tiny_raw):
    rows = campaign_outcomes(tiny_raw, TINY_SCORE_AS_OF)
    assert len(rows) and (pd.to_datetime(rows.sent_day) <= pd.Timestamp("2025-08-02")).all()
    assert set(rows.retained.unique()) <= {0.0, 1.0} and (rows.revenue_vnd >= 0).all()
    past = past_campaigns(tiny_raw, TINY_SCORE_AS_OF, control_share=0.1)
    last = past.last
    assert last is not None and last.control > 0 and past.min_control >= 1
    assert last.retention_uplift_low <= last.retention_uplift <= last.retention_uplift_high
    assert campaign_outcomes(tiny_raw, date(2024, 1, 1)).empty


def test_off_policy_value_literals():
    rows = pd.DataFrame(
        {
            "treated": [False, False, True, True],
            "offer_id": ["A", "A", "A", "A"],
            "revenue_vnd": [10.0, 20.0, 30.0, 50.0],
            "cost_vnd": [0, 0, 5, 5],
        }
    )
    v = off_policy_value(rows, np.array(["A"] * 4, dtype=object))
    assert v["plan_value_vnd"] == pytest.approx((25 / 0.5 + 45 / 0.5) / 4)
    assert v["as_run_value_vnd"] == pytest.approx(25.0)
    assert v["no_offer_value_vnd"] == pytest.approx((10 / 0.5 + 20 / 0.5) / 4)
    assert v["plan_gain_vs_no_offer_vnd"] == pytest.approx((35 - 15) * 4)
    assert v["plan_contacts"] == 4


def test_measured_gain_lines_speak_the_run_language():
    from serving.batch.campaign_measure import measured_gain_line
    from serving.campaign_gain import PastCampaigns
    from serving.language import language

    table = measure(outcomes())
    plan = {"rows": 8, "plan_contacts": 4, "plan_value_vnd": 55.0, "plan_value_se_vnd": 9.0,
            "as_run_value_vnd": 60.0, "no_offer_value_vnd": 40.0}  # fmt: skip
    past = PastCampaigns(table, 519, 90_786, None, plan)
    en, vi = (measured_gain_line(past, language(c)) for c in ("en", "vi"))
    assert en[0] == (
        "  measured gain of campaign C1 (January 1, 2025, 4 treated, 4 control): retention "
        "+0.500 (95% CI -0.193 to +1.193); net gain ₫200 (95% CI ₫200 to ₫200)"
    )
    assert en[1].startswith("  control group of this campaign: at least 519 ") and "90,786" in en[1]
    assert "4 of 8 contacted): ₫55 +- ₫9 per row, against ₫60 as run and ₫40" in en[2]
    assert vi[0].startswith("  lợi ích đo được của chiến dịch C1 (1 tháng 1, 2025, 4 được chăm")
    assert "+0,500" in vi[0] and "90.786" in vi[1] and "ít nhất 519" in vi[1]
    assert "55\xa0₫ ± 9\xa0₫" in vi[2]
    assert measured_gain_line(None, language("vi")) == [
        "  lợi ích đo được: chưa có chiến dịch nào trước đây có nhóm đối chứng với đủ thời gian "
        "theo dõi"
    ]
