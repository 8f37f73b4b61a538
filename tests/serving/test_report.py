"""The scoring report: every section and figure present, self-contained, deterministic, in
English and Vietnamese, money as whole VND."""

import re

import numpy as np
import pandas as pd

from serving.batch.report import SECTIONS, ReportInputs, render


def inputs(with_campaign=True, language="en"):
    rng = np.random.default_rng(0)
    n = 500
    scores = pd.DataFrame(
        {
            "subscriber_id": np.arange(n),
            "churn_probability": rng.beta(1, 20, n),
            "predicted_value_vnd": rng.lognormal(12, 1, n),
            "value_at_risk_vnd": rng.lognormal(10, 1, n),
            "value_tier": rng.choice(["super", "large", "small"], n),
            "relationship_state": rng.choice(["loyal", "needs care"], n),
            "risk_band": rng.choice(["low", "high"], n),
        }
    )
    campaign = pd.DataFrame(
        {
            "subscriber_id": [1, 2, 3],
            "offer_id": ["A", "A", "B"],
            "group": ["treatment", "control", "treatment"],
            "cost_vnd": [100.0, 0.0, 200.0],
            "expected_gain_vnd": [500.0, 400.0, 50.0],
            "reasons": [
                ["Top-ups fell by 60% in the last 30 days"],
                ["x"],
                ["No top-up on record"],
            ],
        }
    )
    drift = pd.DataFrame(
        {
            "column": ["data_mb_sum_30d", "tenure_days"],
            "psi": [0.4, 0.01],
            "status": ["breach", "ok"],
        }
    )
    return ReportInputs(
        "2026-01-01",
        scores,
        {"rows_in": 502, "rows_scored": 500, "rows_rejected": 2},
        trailing_revenue=scores["predicted_value_vnd"] * 0.9,
        campaign=campaign if with_campaign else None,
        drift=drift,
        language=language,
        attributes=pd.DataFrame(
            {
                "subscriber_id": np.arange(n),
                "customer_type": rng.choice(["individual", "business"], n),
                "region": rng.choice(["north", "central", "south"], n),
            }
        ),
    )


def test_sections_figures_and_figures_are_embedded():
    page = render(inputs())
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', page)) == 3
    assert '<td class="w">Top-ups fell by 60% in the last 30 days</td>' in page
    assert "Rows in = scored + rejected: <b>holds</b>" in page
    assert "2 subscribers to contact, 1 held out as control" in page
    assert "1 columns breach" in page and "http" not in page.replace("http-equiv", "")


def test_same_inputs_same_bytes_and_no_campaign_is_said():
    assert render(inputs()) == render(inputs())
    assert "No campaign was planned in this run." in render(inputs(with_campaign=False))


def test_vietnamese_report_says_the_operators_words_and_whole_vnd():
    page = render(inputs(language="vi"))
    for title in ("Nguy cơ rời mạng", "Loại khách hàng và vùng miền", "Đầu danh sách chiến dịch"):
        assert f"<h2>{title}</h2>" in page
    assert "khách hàng siêu cấp" in page and "cần quan tâm chăm sóc" in page
    assert "doanh nghiệp" in page and "miền Trung" in page and "lang='vi'" in page
    assert "2 thuê bao cần liên hệ, 1 thuê bao giữ lại làm nhóm đối chứng" in page
    money = re.findall(r">([0-9.]+)\xa0₫<", page)
    assert money and all(re.fullmatch(r"\d{1,3}(\.\d{3})*", m) for m in money)
    assert not re.search(r"\d,\d{3}\.\d", page), "no decimals on money"


def test_english_money_is_whole_with_separators():
    page = render(inputs())
    money = re.findall(r">₫([0-9,]+)<", page)
    assert money and all(re.fullmatch(r"\d{1,3}(,\d{3})*", m) for m in money)
