"""The data contract: the raw tables' schema, checked on read (`sources`), reported
(`validate`), applied row by row (`rules`, `clean`), and documented (`doc`); what a command
checks before it writes (`guard`).

The names below load lazily (PEP 562): importing the package runs no submodule.
"""

from __future__ import annotations

from features.api import lazy_api

__all__, __getattr__ = lazy_api(
    __name__,
    {
        "TABLES": "features.contract.schema",
        "Table": "features.contract.schema",
        "Column": "features.contract.schema",
        "SchemaError": "features.contract.schema",
        "read_table": "features.contract.sources",
        "write_table": "features.contract.sources",
        "check_tables": "features.contract.sources",
        "replacing": "features.contract.sources",
        "write_parquet_atomic": "features.contract.sources",
        "write_text_atomic": "features.contract.sources",
        "write_json_atomic": "features.contract.sources",
        "validate_raw": "features.contract.validate",
        "Report": "features.contract.validate",
        "Problem": "features.contract.validate",
        "RowRule": "features.contract.rules",
        "row_rules": "features.contract.rules",
        "IMPLAUSIBLE_ABOVE": "features.contract.rules",
        "clean_raw": "features.contract.clean",
        "require_valid": "features.contract.clean",
        "is_clean": "features.contract.clean",
        "CleanResult": "features.contract.clean",
        "RawDataError": "features.contract.extract",
        "render_contract": "features.contract.doc",
        "OutputRefused": "features.contract.guard",
        "check_output": "features.contract.guard",
        "check_as_of": "features.contract.guard",
        "data_range": "features.contract.guard",
        "LOCAL_TIME_ZONE": "features.contract.schema",
        "local_time_sql": "features.contract.localtime",
    },
)
