from __future__ import annotations

import io
import logging

import pytest

from core.config.logs import RedactingFilter, redact, setup_logging
from core.execution.ids import client_order_id

BINANCE_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DISCORD_TOKEN = "MTA4NzY1NDMyMTAxMjM0NTY3OA.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"using key {BINANCE_KEY}", BINANCE_KEY),
        (f"token={DISCORD_TOKEN}", DISCORD_TOKEN),
        (f"connecting with {DISCORD_TOKEN} now", DISCORD_TOKEN),
        ("api_secret: 'short-but-named'", "short-but-named"),
        ('{"apiKey": "abc123def"}', "abc123def"),
        ("password=hunter2&user=bob", "hunter2"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload", "eyJhbGciOiJIUzI1NiJ9"),
        ("mongodb://admin:s3cr3t@db:27017/signalcord", "s3cr3t"),
    ],
)
def test_secrets_are_masked(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked and "***" in masked


def test_ordinary_text_and_our_order_ids_stay_readable() -> None:
    cid = client_order_id("6a0000000000000000000001", "6a0000000000000000000002", "entry")
    line = f"order {cid} filled 0.04733 BTC/USDT @ 42250.00 for user 123456789012345678"
    assert redact(line) == line


def test_the_filter_masks_records_from_any_logger_including_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("tests.redaction.child")
    log.addHandler(handler)
    try:
        log.warning("login with secret=%s", "topsecretvalue")
        try:
            raise RuntimeError(f"exchange said: invalid key {BINANCE_KEY}")
        except RuntimeError:
            log.exception("order failed")
    finally:
        log.removeHandler(handler)
    output = stream.getvalue()
    assert "topsecretvalue" not in output and BINANCE_KEY not in output
    assert "login with secret=***" in output and "RuntimeError: exchange said: invalid key ***" in output


def test_setup_logging_installs_one_redacting_handler() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        setup_logging("DEBUG")
        setup_logging("INFO")
        ours = [h for h in root.handlers if getattr(h, "_signalcord", False)]
        assert len(ours) == 1 and any(isinstance(f, RedactingFilter) for f in ours[0].filters)
        assert root.level == logging.INFO
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
