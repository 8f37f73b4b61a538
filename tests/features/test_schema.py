from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.contract.schema import TABLES, SchemaError
from features.contract.sources import check_tables, read_table
from features.snapshot import build_snapshot
from tests.conftest import write_raw


def test_contract_declares_the_seven_tables():
    assert set(TABLES) == {
        "subscribers",
        "usage_daily",
        "recharges",
        "invoices",
        "care_contacts",
        "subscription_events",
        "campaigns",
    }


def test_missing_column_names_table_and_column(tmp_path):
    root = write_raw(tmp_path)
    usage = pq.read_table(root / "usage_daily" / "part-00000.parquet").drop_columns(["revenue_vnd"])
    pq.write_table(usage, root / "usage_daily" / "part-00000.parquet")
    with pytest.raises(SchemaError, match=r"usage_daily\.revenue_vnd: missing column"):
        check_tables(root)
    with pytest.raises(SchemaError, match=r"usage_daily\.revenue_vnd"):
        build_snapshot(root, date(2025, 2, 1))


def test_mistyped_column_names_table_column_and_types(tmp_path):
    root = write_raw(tmp_path)
    path = root / "recharges" / "part-00000.parquet"
    t = pq.read_table(path)
    t = t.set_column(
        t.schema.get_field_index("amount_vnd"), "amount_vnd", pa.array([], type=pa.string())
    )
    pq.write_table(t, path)
    with pytest.raises(SchemaError, match=r"recharges\.amount_vnd: expected int64, found string"):
        read_table(root, "recharges")


def test_required_table_absent_is_named(tmp_path):
    root = write_raw(tmp_path)
    (root / "subscribers" / "part-00000.parquet").unlink()
    with pytest.raises(SchemaError, match=r"subscribers: required table missing"):
        check_tables(root)


def test_optional_table_absent_is_fine(tmp_path):
    root = write_raw(tmp_path)
    (root / "campaigns" / "part-00000.parquet").unlink()
    assert "campaigns" not in check_tables(root)


def test_every_problem_reported_at_once(tmp_path):
    root = write_raw(tmp_path)
    for name, col in (("usage_daily", "data_mb"), ("care_contacts", "category")):
        path = root / name / "part-00000.parquet"
        pq.write_table(pq.read_table(path).drop_columns([col]), path)
    with pytest.raises(SchemaError) as err:
        check_tables(root)
    assert "usage_daily.data_mb" in str(err.value) and "care_contacts.category" in str(err.value)


def test_written_tables_read_back_with_contract_types(tmp_path):
    root = write_raw(
        tmp_path,
        subscribers=[
            {
                "subscriber_id": 1,
                "activation_date": "2024-01-01",
                "contract_type": "prepaid",
                "tariff_plan": "PRE_BASIC",
                "province": "Ha Noi",
                "region": "north",
                "customer_type": "individual",
                "device_type": "feature",
                "age_band": "25-34",
                "acquisition_channel": "store",
            }
        ],
    )
    frame = read_table(root, "subscribers")
    assert frame.loc[0, "subscriber_id"] == 1
    assert pd.Timestamp(frame.loc[0, "activation_date"]) == pd.Timestamp("2024-01-01")
