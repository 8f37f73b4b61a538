"""Keep phone numbers out of the logs.

BentoML logs a request that fails validation with pydantic's error text, which quotes the
offending input (`input_value={'msisdn': '0901234567'}`), and an unexpected exception with
its traceback. A client can put a subscriber's phone number in any field, so every record
that reaches a handler has its digit runs of 9 to 15 digits (a phone number with or
without 84 / +84, or any other long number) replaced before it is written.
"""

from __future__ import annotations

import logging
import re

NUMBER = re.compile(r"(?<!\d)\+?\d{9,15}(?!\d)")
MASK = "<number>"


def redact(text: str) -> str:
    return NUMBER.sub(MASK, text)


class RedactNumbers(logging.Filter):
    """A handler filter: the record's message and traceback, with long numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def redact_logs() -> None:
    """Add the filter to every handler configured in this process (once each)."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if not any(isinstance(f, RedactNumbers) for f in handler.filters):
                handler.addFilter(RedactNumbers())
