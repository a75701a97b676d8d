"""Typed settings read from the environment and `.env` (see `.env.example` for every variable)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.config.logs import register_secret

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A setting has a bad value; the message names the variable and what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    mongodb_uri: SecretStr | None = Field(default=None, validation_alias="MONGODB_URI")
    db_name: str = Field(default="signalcord", validation_alias="SIGNALCORD_DB_NAME", min_length=1)
    data_dir: Path = Field(default=Path("./data"), validation_alias="SIGNALCORD_DATA_DIR")
    host: str = Field(default="127.0.0.1", validation_alias="SIGNALCORD_HOST", min_length=1)
    port: int = Field(default=8080, validation_alias="SIGNALCORD_PORT", ge=1, le=65535)
    secret_key: SecretStr | None = Field(default=None, validation_alias="SIGNALCORD_SECRET_KEY")
    secret_key_file: Path | None = Field(default=None, validation_alias="SIGNALCORD_SECRET_KEY_FILE")
    log_level: str = Field(default="INFO", validation_alias="SIGNALCORD_LOG_LEVEL")
    public_url: str | None = Field(default=None, validation_alias="SIGNALCORD_PUBLIC_URL")  # as browsers reach it
    discord_client_id: str | None = Field(default=None, validation_alias="DISCORD_CLIENT_ID")
    discord_client_secret: SecretStr | None = Field(default=None, validation_alias="DISCORD_CLIENT_SECRET")
    discord_oauth_url: str = Field(default="https://discord.com", validation_alias="SIGNALCORD_DISCORD_OAUTH_URL")
    demo: bool = Field(default=True, validation_alias="SIGNALCORD_DEMO")  # only without DISCORD_TOKEN
    # Discord user ids who administer Signalcord on the dashboard (the status page, webhook providers)
    admins: str = Field(default="", validation_alias="SIGNALCORD_ADMINS")
    paper_start_balance: float = Field(
        default=10_000.0, validation_alias="SIGNALCORD_PAPER_START_BALANCE", gt=0
    )
    paper_fee_rate: float = Field(default=0.0004, validation_alias="SIGNALCORD_PAPER_FEE_RATE", ge=0, lt=0.1)
    paper_maker_fee_rate: float = Field(default=0.0002, validation_alias="SIGNALCORD_PAPER_MAKER_FEE_RATE", ge=0,
                                        lt=0.1)
    paper_fee_model: Literal["zero", "fixed", "percentage", "tiered"] = Field(
        default="percentage", validation_alias="SIGNALCORD_PAPER_FEE_MODEL")
    paper_slippage: Literal["none", "fixed", "size"] = Field(default="none",
                                                              validation_alias="SIGNALCORD_PAPER_SLIPPAGE")
    paper_slippage_bps: float = Field(default=2.0, validation_alias="SIGNALCORD_PAPER_SLIPPAGE_BPS", ge=0, le=500)
    monitor_interval_s: float = Field(default=5.0, validation_alias="SIGNALCORD_MONITOR_INTERVAL_S", gt=0, le=300)
    exchange_base_url: str | None = Field(default=None, validation_alias="SIGNALCORD_EXCHANGE_BASE_URL")
    price_feeds: str = Field(default="replay", validation_alias="SIGNALCORD_PRICE_FEEDS")
    price_max_age_s: float = Field(default=60.0, validation_alias="SIGNALCORD_PRICE_MAX_AGE_S", gt=0, le=3600)
    price_anomaly_pct: float = Field(default=5.0, validation_alias="SIGNALCORD_PRICE_ANOMALY_PCT", gt=0, le=100)
    exchange_rate_limit_ms: float | None = Field(default=None, validation_alias="SIGNALCORD_EXCHANGE_RATE_LIMIT_MS",
                                                 gt=0, le=60_000)

    @field_validator("price_feeds")
    @classmethod
    def _known_feeds(cls, value: str) -> str:
        feeds = [f.strip().lower() for f in value.split(",") if f.strip()]
        if not feeds:
            raise ValueError("name 'replay' or one or more ccxt exchange ids, e.g. binance,okx")
        if "replay" in feeds and len(feeds) > 1:
            raise ValueError("'replay' (offline candles) cannot be mixed with live exchanges")
        if feeds == ["replay"]:
            return "replay"
        import ccxt.async_support as ccxt  # only when live feeds are asked for (a large import)

        unknown = [f for f in feeds if f not in ccxt.exchanges]
        if unknown:
            raise ValueError(f"ccxt does not know {', '.join(unknown)}")
        return ",".join(feeds)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("mongodb_uri")
    @classmethod
    def _mongo_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the dashboard's public address, e.g. https://signals.example.com")
        return value.strip().rstrip("/")

    @field_validator("admins")
    @classmethod
    def _admin_ids(cls, value: str) -> str:
        ids = [v.strip() for v in value.split(",") if v.strip()]
        if not all(v.isdigit() for v in ids):
            raise ValueError("comma-separated Discord user ids, e.g. 123456789012345678,234567890123456789")
        return ",".join(ids)

    @field_validator("discord_token", "secret_key", "discord_client_secret")
    @classmethod
    def _blank_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        return value

    @property
    def key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "secret.key"

    @property
    def log_level_number(self) -> int:
        return int(logging.getLevelName(self.log_level))


def _describe(error: dict[str, Any]) -> str:
    name = ".".join(str(part) for part in error.get("loc", ())) or "settings"
    given = error.get("input")
    shown = "" if isinstance(given, dict) or given is None else f" (got {given!r})"
    if name in {"DISCORD_TOKEN", "MONGODB_URI", "SIGNALCORD_SECRET_KEY"}:
        shown = ""  # never echo a secret back
    return f"{name}: {error.get('msg', 'invalid value')}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; raise ConfigError with one line per bad variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe(dict(err)) for err in exc.errors())) from None
    # masked by value in every log line from now on
    for secret in (settings.discord_token, settings.secret_key, settings.discord_client_secret):
        register_secret(secret.get_secret_value() if secret else None)
    if settings.mongodb_uri is not None:
        register_secret(urlsplit(settings.mongodb_uri.get_secret_value()).password)
    return settings
