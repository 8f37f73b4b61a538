"""The online store: exact round trip, atomic replacement, clear refusals; SQLite and Redis."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from serving.online_store import StoreError, open_store, write_store

AS_OF = date(2025, 9, 1)


def vectors() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subscriber_id": [3, 1, 2],
            "as_of": [AS_OF] * 3,
            "data_mb_sum_7d": [0.1 + 0.2, 1e-300, 12.0],
            "days_since_last_recharge": [np.nan, 4.0, 7.0],
            "contract_type": ["prepaid", "postpaid", None],
        }
    )


def check_round_trip(uri: str) -> None:
    frame = vectors()
    assert write_store(uri, [frame.iloc[:2], frame.iloc[2:]], "fs-abc", AS_OF) == 3
    store = open_store(uri)
    meta = store.meta()
    assert (meta.feature_schema_version, meta.as_of, meta.rows) == ("fs-abc", AS_OF, 3)
    got = store.get([1, 3, 99])
    assert sorted(got) == [1, 3]
    assert got[3] == {
        "subscriber_id": 3,
        "as_of": AS_OF,
        "data_mb_sum_7d": 0.30000000000000004,
        "days_since_last_recharge": None,
        "contract_type": "prepaid",
    }
    assert got[1]["data_mb_sum_7d"] == 1e-300
    # A new snapshot replaces the old one whole.
    write_store(uri, [frame.iloc[:1].assign(as_of=date(2025, 10, 1))], "fs-abc", date(2025, 10, 1))
    store = open_store(uri)
    assert store.meta().rows == 1 and sorted(store.get([1, 2, 3])) == [3]


def test_sqlite_round_trip_and_replacement(tmp_path):
    check_round_trip(f"sqlite:///{tmp_path / 'online' / 'features.sqlite'}")
    assert not list(tmp_path.rglob("*.tmp"))


def test_redis_round_trip_and_replacement(redis_url):
    check_round_trip(redis_url)


def test_missing_sqlite_store_says_what_to_do(tmp_path):
    with pytest.raises(StoreError, match=r"does not exist; run `retain score`.*=none"):
        open_store(f"sqlite:///{tmp_path / 'nope.sqlite'}")


def test_file_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "x.sqlite").write_text("not a database")
    with pytest.raises(StoreError, match="is not a Retain feature store"):
        open_store(f"sqlite:///{tmp_path / 'x.sqlite'}")


def test_unreachable_redis_is_refused():
    with pytest.raises(StoreError, match=r"redis://127.0.0.1:9/0 is unreachable.*start Redis"):
        open_store("redis://127.0.0.1:9/0")


def test_unknown_scheme_is_refused():
    with pytest.raises(StoreError, match="RETAIN_ONLINE_STORE: 'postgres://x'"):
        open_store("postgres://x")
