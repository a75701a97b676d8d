"""One logging setup for every role, with a filter that masks secrets before anything is written."""

from __future__ import annotations

import logging
import re
import sys
import time

_MASK = "***"

# Each pattern keeps group 1 (the label) and masks the rest of the match.
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Authorization headers
    re.compile(r"((?:Bearer|Bot|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # key=value / key: value / "key": "value" for secret-looking names
    re.compile(
        r"""((?:api[_-]?key|api[_-]?secret|secret|token|password|passwd|passphrase|private[_-]?key|"""
        r"""authorization|signature)["']?\s*[:=]\s*["']?)[^\s"'&,;]+""",
        re.IGNORECASE,
    ),
    # credentials inside connection strings: scheme://user:password@host
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)[^@\s]+(?=@)", re.IGNORECASE),
    # Discord bot tokens: three dot-separated base64 parts
    re.compile(r"()\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}"),
    # long opaque strings (API keys, secrets, hex keys): 32+ chars of base64/hex alphabet with a digit
    # and a letter; our own client order ids ("sc" + 30 hex, see core.execution.ids) stay readable
    re.compile(
        r"()\b(?!sc[0-9a-f]{30}\b)(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[A-Za-z])[A-Za-z0-9+/_-]{32,}={0,2}"
    ),
)


_KNOWN: set[str] = set()  # secret values this process holds (configured, or decrypted to connect)
MIN_SECRET = 6  # shorter values are not registered: they would mask ordinary words


def register_secret(value: str | None) -> None:
    """Mask this value wherever it appears in a log line, with or without a label next to it."""
    if value and len(value) >= MIN_SECRET:
        _KNOWN.add(value)


def redact(text: str) -> str:
    """Mask every known secret by its value, then anything that looks like a token, secret, password or key."""
    for value in sorted(_KNOWN, key=len, reverse=True):  # longest first: one secret may contain another
        if value in text:
            text = text.replace(value, _MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + _MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def setup_logging(level: int | str = logging.INFO) -> None:
    """Configure the root logger once: one stderr handler with the redaction filter."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_signalcord", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._signalcord = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("discord.gateway", "apscheduler.executors.default", "pymongo"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class RateLimitedLog:
    """The same warning at most once per `every_s` per key: a loop that meets one bad item on every tick logs it
    once a minute, not every tick (the count of skipped repeats goes with the next line)."""

    def __init__(self, logger: logging.Logger, every_s: float = 60.0) -> None:
        self.logger = logger
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def warning(self, key: str, message: str, *args: object, exc_info: bool = False) -> None:
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.every_s:
            self._skipped[key] = self._skipped.get(key, 0) + 1
            return
        self._last[key] = now
        skipped = self._skipped.pop(key, 0)
        suffix = f" ({skipped} more like this since the last report)" if skipped else ""
        self.logger.warning(message + suffix, *args, exc_info=exc_info)
