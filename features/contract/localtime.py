"""Time zones: the contract's times are local (Asia/Ho_Chi_Minh) and naive. A timezone-aware
timestamp (a Parquet timestamp with a zone, a CSV time with an offset) is converted to local
time by every command the same way, here, instead of being cut to UTC or refused."""

from __future__ import annotations

import pyarrow as pa

from features.contract.schema import LOCAL_TIME_ZONE


def is_aware(arrow_type: pa.DataType) -> bool:
    """True for a timezone-aware timestamp (a Parquet timestamp with a zone, or UTC)."""
    return pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None


def local_time_sql(column: str) -> str:
    """DuckDB SQL for a timezone-aware timestamp column as the contract's local time (naive,
    `LOCAL_TIME_ZONE`): the one conversion every command applies (clean, validate, the
    snapshot behind score, train and snapshot). DuckDB's ICU does it; no pytz is needed."""
    return f"timezone('{LOCAL_TIME_ZONE}', \"{column}\")"
