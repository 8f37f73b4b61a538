"""`serving.server.privacy` in-process: a handler with the filter writes phone numbers (in the
message, its arguments and a traceback) masked, and leaves other text alone."""

from __future__ import annotations

import io
import logging

from serving.server.privacy import MASK, RedactNumbers, redact, redact_logs


def test_redact_masks_phone_like_runs_only():
    assert redact("call 0901234567 or +84901234567") == f"call {MASK} or {MASK}"
    assert redact("id 12345678, trace 4bf92f3577b34da6") == "id 12345678, trace 4bf92f3577b34da6"


def test_a_handler_writes_message_arguments_and_traceback_masked():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("tests.privacy")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        redact_logs()
        assert any(isinstance(f, RedactNumbers) for f in handler.filters)
        redact_logs()  # once per handler
        assert sum(isinstance(f, RedactNumbers) for f in handler.filters) == 1
        logger.warning("refused %s", {"msisdn": "0901234567"})
        try:
            raise ValueError("input_value='84901234567'")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "0901234567" not in text and "84901234567" not in text
    assert text.count(MASK) == 3 and "refused" in text and "ValueError" in text
