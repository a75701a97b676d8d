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


def test_known_secrets_are_masked_by_value_even_without_a_label() -> None:
    """The dashboard issue's probe: a passphrase after the bare word "passphrase" and an 18-character key after
    "key=" came out in clear (the patterns want a label with a separator, or 32+ characters). A secret Signalcord
    knows (configured, or decrypted to connect) is masked by its value wherever it appears."""
    from core.config.logs import register_secret

    passphrase, key = "Tr0ub4dor&3-canary", "AbCdEf0123456789Xy"
    register_secret(passphrase)
    register_secret(key)
    text = redact(f"connecting with passphrase {passphrase} and key={key}; retrying {key[:6]}")
    assert passphrase not in text and key not in text
    assert "retrying AbCdEf" in text  # a short fragment is not a secret


def test_a_decrypted_credential_is_registered_with_the_filter(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from core.config.logs import RedactingFilter
    from core.crypto import SecretBox

    box = SecretBox([b"k" * 32])
    sealed = box.seal("canary-secret-1234567", owner="u1", field="api_secret")
    opened = box.open(sealed, owner="u1", field="api_secret")
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "ccxt said %s", (f"bad sig for {opened}",), None)
    RedactingFilter().filter(record)
    assert opened not in record.getMessage()


def test_configured_secrets_are_masked_by_value(tmp_path: object) -> None:
    from core.config.settings import load_settings

    token = "MTIzNDU2.short-canary-token"
    load_settings(_env_file=None, SIGNALCORD_DATA_DIR=str(tmp_path), DISCORD_TOKEN=token,
                  MONGODB_URI="mongodb://admin:pw-canary-77@db.example:27017/")
    line = redact(f"token {token}; connecting as admin with pw-canary-77")
    assert token not in line and "pw-canary-77" not in line
