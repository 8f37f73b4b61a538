"""The service writes its answers as JSON itself: the `Answer` model's fields in order, the
same values pydantic would write, floats that read back to the same bits."""

import json
from datetime import date

from serving.answer import ANSWER_COLUMNS
from serving.server.schemas import Answer
from serving.service import ANSWER_FIELDS, answer_json

SCORED = {
    "subscriber_id": 7,
    "as_of": date(2025, 9, 1),
    "churn_probability": 0.1,
    "risk_band": "low",
    "predicted_value_vnd": 123456.5,
    "value_horizon_days": 90,
    "value_tier": "small",
    "relationship_state": "needs care",
    "value_if_retained_vnd": 137173.88888888888,
    "value_at_risk_vnd": float("nan"),
    "best_offer": None,
    "best_offer_gain_vnd": None,
    "reasons": ["recharged less in the last 30 days", "more dropped calls"],
    "churn_model_version": "retain-churn/3",
    "value_model_version": "retain-value/2",
}


def test_scored_answer_is_written_in_model_order():
    assert answer_json([SCORED]) == (
        b'[{"subscriber_id":7,"status":"ok","as_of":"2025-09-01","churn_probability":0.1,'
        b'"risk_band":"low","predicted_value_vnd":123456.5,"value_horizon_days":90,'
        b'"value_tier":"small","relationship_state":"needs care",'
        b'"value_if_retained_vnd":137173.88888888888,"value_at_risk_vnd":null,'
        b'"survival_3m":null,"survival_6m":null,"survival_12m":null,'
        b'"expected_lifetime_months":null,"lifetime_value_vnd":null,"let_go_reason":null,'
        b'"best_offer":null,"best_offer_gain_vnd":null,"reasons":["recharged less in the last '
        b'30 days","more dropped calls"],"language":null,"risk_band_name":null,'
        b'"value_tier_name":null,"relationship_state_name":null,"best_offer_description":null,'
        b'"churn_model_version":"retain-churn/3","value_model_version":"retain-value/2"}]'
    )


def test_every_batch_column_is_written_after_the_model_fields():
    assert ANSWER_FIELDS[: len(Answer.model_fields)] == tuple(Answer.model_fields)
    assert set(ANSWER_FIELDS) == set(ANSWER_COLUMNS) | {"status"}


def test_unknown_subscriber_has_only_its_id_status_and_versions():
    unknown = {
        "subscriber_id": -5,
        "status": "unknown_subscriber",
        "churn_model_version": "retain-churn/3",
        "value_model_version": "retain-value/2",
    }
    (row,) = json.loads(answer_json([unknown]))
    assert row == {k: None for k in ANSWER_FIELDS} | unknown


def test_answers_match_what_pydantic_writes_and_read_back_exactly():
    x = 0.1 + 0.2  # 0.30000000000000004: needs all 17 digits
    scored = SCORED | {"churn_probability": x}
    written = json.loads(answer_json([scored, SCORED]))
    by_pydantic = [json.loads(Answer(**a).model_dump_json()) for a in (scored, SCORED)]
    assert [{k: r[k] for k in Answer.model_fields} for r in written] == by_pydantic
    assert written[0]["churn_probability"] == x
    assert Answer.model_validate(written[0]).churn_probability == x


def test_empty_answer_is_an_empty_array():
    assert answer_json([]) == b"[]"
